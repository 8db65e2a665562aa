package scim

import (
	"net/http"
	"strings"

	"github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"
	filter "github.com/scim2/filter-parser/v2"

	"github.com/idbridge/idbridge/store"
)

// groups serves /Groups: per org, displayName unique, members from the same org.
type groups struct{ h *Handler }

func groupVersion(g store.Group) string { return etag(g.ID, g.UpdatedAt) }

// groupResource is a group as the library returns it; members nil leaves them out.
func (h *Handler) groupResource(g store.Group, members []store.GroupMember) scim.Resource {
	attrs := scim.ResourceAttributes{"displayName": g.DisplayName}
	if members != nil {
		ms := make([]any, 0, len(members))
		for _, m := range members {
			ms = append(ms, map[string]any{"value": m.AccountID, "type": "User",
				"$ref": h.opt.BaseURL + h.opt.Prefix + "/Users/" + m.AccountID})
		}
		attrs["members"] = ms
	}
	created, modified := g.CreatedAt, g.UpdatedAt
	res := scim.Resource{ID: g.ID, Attributes: attrs, Meta: scim.Meta{Created: &created, LastModified: &modified, Version: groupVersion(g)}}
	if g.ExternalID != "" {
		res.ExternalID = optional.NewString(g.ExternalID)
	}
	return res
}

// memberList reads the member values of a members attribute.
func memberList(v any) ([]store.GroupMember, error) {
	var out []store.GroupMember
	for _, e := range asList(v) {
		id := valueOf(e)
		if id == "" {
			return nil, invalidValue("Each member needs a value: the id of a user.")
		}
		out = append(out, store.GroupMember{AccountID: id})
	}
	return out, nil
}

// groupAttrs reads the name, externalId and members of a group document.
func groupAttrs(attrs scim.ResourceAttributes) (name, ext string, members []store.GroupMember, err error) {
	name, _ = lookup(attrs, "displayName").(string)
	ext, _ = lookup(attrs, "externalId").(string)
	members, err = memberList(lookup(attrs, "members"))
	return name, ext, members, err
}

// Create creates a group with its first members.
func (g *groups) Create(r *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	h := g.h
	name, ext, members, err := groupAttrs(attrs)
	if err != nil {
		return scim.Resource{}, err
	}
	gr, err := h.st.CreateGroup(r.Context(), actor(r), orgOf(r), store.NewGroup{DisplayName: name, ExternalID: ext, Members: members})
	if err != nil {
		return scim.Resource{}, h.handlerErr(r, err)
	}
	if members == nil {
		members = []store.GroupMember{}
	}
	return h.groupResource(gr, members), nil
}

// Get returns a group; its members unless excluded (a group may be large).
func (g *groups) Get(r *http.Request, id string) (scim.Resource, error) {
	h := g.h
	gr, err := h.st.GetGroup(r.Context(), orgOf(r), id)
	if err != nil {
		return scim.Resource{}, h.handlerErr(r, err)
	}
	var members []store.GroupMember
	if wanted(r, "members") {
		if members, err = g.allMembers(r, gr.ID); err != nil {
			return scim.Resource{}, h.handlerErr(r, err)
		}
	}
	return h.groupResource(gr, members), nil
}

func (g *groups) allMembers(r *http.Request, id string) ([]store.GroupMember, error) {
	out := []store.GroupMember{}
	after := ""
	for {
		page, err := g.h.st.ListGroupMembers(r.Context(), orgOf(r), id, after, store.MaxPageSize)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < store.MaxPageSize {
			return out, nil
		}
		after = page[len(page)-1].AccountID
	}
}

// GetAll lists groups matching the filter (displayName, externalId, id,
// members.value, meta dates), in SQL.
func (g *groups) GetAll(r *http.Request, params scim.ListRequestParams) (scim.Page, error) {
	h := g.h
	q, lp, err := queryOf(r, params, groupFilter)
	if err != nil {
		return scim.Page{}, err
	}
	if lp.sortBy != "" {
		p, err := parseAttrPath(lp.sortBy)
		if err != nil {
			return scim.Page{}, err
		}
		f, _, err := groupAttr(p)
		if err != nil || f.Name == store.FieldMember {
			return scim.Page{}, invalidValue("sortBy %q is not supported for groups.", lp.sortBy)
		}
		q.SortBy = &f
	}
	gs, total, err := h.st.SearchGroups(r.Context(), orgOf(r), q)
	if err != nil {
		return scim.Page{}, h.handlerErr(r, err)
	}
	page := scim.Page{TotalResults: total, Resources: make([]scim.Resource, 0, len(gs))}
	withMembers := wanted(r, "members")
	for _, gr := range gs {
		var members []store.GroupMember
		if withMembers {
			if members, err = g.allMembers(r, gr.ID); err != nil {
				return scim.Page{}, h.handlerErr(r, err)
			}
		}
		page.Resources = append(page.Resources, h.groupResource(gr, members))
	}
	if lp.returned != nil {
		*lp.returned = len(page.Resources)
	}
	return page, nil
}

func groupAttr(p filter.AttributePath) (store.Field, bool, error) {
	if uri := p.URI(); uri != "" && !strings.EqualFold(uri, groupURN) {
		return store.Field{}, false, invalidFilter("Unknown schema %q.", uri)
	}
	sub := strings.ToLower(p.SubAttributeName())
	switch strings.ToLower(p.AttributeName) {
	case "id":
		return store.Named(store.FieldID), true, nil
	case "displayname":
		return store.Named(store.FieldDisplayName), false, nil
	case "externalid":
		return store.Named(store.FieldExternalID), true, nil
	case "members":
		if sub == "" || sub == "value" {
			return store.Named(store.FieldMember), true, nil
		}
	case "meta":
		switch sub {
		case "created":
			return store.Named(store.FieldCreatedAt), false, nil
		case "lastmodified":
			return store.Named(store.FieldUpdatedAt), false, nil
		}
	}
	return store.Field{}, false, invalidFilter("%s cannot be filtered on.", p.String())
}

func groupFilter(e filter.Expression) (store.Filter, error) {
	if f, ok, err := logical(e, groupFilter); ok {
		return f, err
	}
	switch e := e.(type) {
	case *filter.AttributeExpression:
		f, exact, err := groupAttr(e.AttributePath)
		if err != nil {
			return nil, err
		}
		kind := "string"
		if f.Name == store.FieldCreatedAt || f.Name == store.FieldUpdatedAt {
			kind = "dateTime"
		}
		return compare(attrInfo{field: f, caseExact: exact, kind: kind}, e.Operator, e.CompareValue)
	case *filter.ValuePath:
		// members[value eq "id"]
		if !strings.EqualFold(e.AttributePath.AttributeName, "members") {
			return nil, invalidFilter("Unsupported value filter.")
		}
		return groupFilter(withParent(e.ValueFilter, "members"))
	}
	return nil, invalidFilter("Unsupported filter expression.")
}

// withParent rewrites `value eq x` inside members[...] as `members.value eq x`.
func withParent(e filter.Expression, parent string) filter.Expression {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		return &filter.LogicalExpression{Left: withParent(e.Left, parent), Right: withParent(e.Right, parent), Operator: e.Operator}
	case *filter.NotExpression:
		return &filter.NotExpression{Expression: withParent(e.Expression, parent)}
	case *filter.AttributeExpression:
		c := *e
		sub := c.AttributePath.AttributeName
		c.AttributePath = filter.AttributePath{AttributeName: parent, SubAttribute: &sub}
		return &c
	}
	return e
}

// Replace sets the name, externalId and the whole member list (PUT).
func (g *groups) Replace(r *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	h := g.h
	name, ext, members, err := groupAttrs(attrs)
	if err != nil {
		return scim.Resource{}, err
	}
	if members == nil {
		members = []store.GroupMember{}
	}
	gr, err := h.st.UpdateGroup(r.Context(), actor(r), orgOf(r), id, store.GroupChange{DisplayName: &name, ExternalID: &ext, ReplaceMembers: &members,
		Precondition: ifMatch(r, groupVersion)})
	if err != nil {
		return scim.Resource{}, h.handlerErr(r, err)
	}
	return h.groupResource(gr, members), nil
}

// Patch turns the operations into one store.GroupChange (member rows only,
// never the whole group) and answers 204.
func (g *groups) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	h := g.h
	c := store.GroupChange{Precondition: ifMatch(r, groupVersion)}
	for _, op := range ops {
		if err := groupOp(&c, op); err != nil {
			return scim.Resource{}, err
		}
	}
	if _, err := h.st.UpdateGroup(r.Context(), actor(r), orgOf(r), id, c); err != nil {
		return scim.Resource{}, h.handlerErr(r, err)
	}
	return scim.Resource{}, nil // 204
}

// groupOp adds one operation to the change: Okta's path-less replace with
// id, displayName and members; add/replace/remove of members with a value
// array; remove of members[value eq "id"].
func groupOp(c *store.GroupChange, op scim.PatchOperation) error {
	if op.Path == nil {
		m, ok := op.Value.(map[string]any)
		if !ok {
			return invalidValue("A PATCH operation without a path needs an object value.")
		}
		for k, v := range m {
			p, err := filter.ParsePath([]byte(k))
			if err != nil {
				return invalidValue("%q is not an attribute path.", k)
			}
			if err := groupOp(c, scim.PatchOperation{Op: op.Op, Path: &p, Value: v}); err != nil {
				return err
			}
		}
		return nil
	}
	name := strings.ToLower(op.Path.AttributePath.AttributeName)
	switch name {
	case "id":
		return nil // Okta repeats the id; the library already strips it from values
	case "displayname", "externalid":
		s, _ := op.Value.(string)
		if op.Op == scim.PatchOperationRemove {
			if name == "displayname" {
				return mutability("displayName is required.")
			}
			s = ""
		}
		if name == "displayname" {
			c.DisplayName = &s
		} else {
			c.ExternalID = &s
		}
		return nil
	case "members":
	default:
		return invalidPath("Unknown attribute %q.", op.Path.AttributePath.AttributeName)
	}
	if op.Path.ValueExpression != nil {
		ids, ok := memberIDs(op.Path.ValueExpression)
		if !ok || op.Op != scim.PatchOperationRemove {
			return invalidPath("Only remove with members[value eq \"id\"] is supported.")
		}
		c.RemoveMembers = append(c.RemoveMembers, ids...)
		return nil
	}
	members, err := memberList(op.Value)
	if op.Value == nil {
		members, err = nil, nil
	}
	if err != nil {
		return err
	}
	switch op.Op {
	case scim.PatchOperationAdd:
		c.AddMembers = append(c.AddMembers, members...)
	case scim.PatchOperationReplace:
		if members == nil {
			members = []store.GroupMember{}
		}
		c.ReplaceMembers, c.AddMembers, c.RemoveMembers = &members, nil, nil
	case scim.PatchOperationRemove:
		if op.Value == nil { // remove all members
			empty := []store.GroupMember{}
			c.ReplaceMembers, c.AddMembers, c.RemoveMembers = &empty, nil, nil
			return nil
		}
		for _, m := range members {
			c.RemoveMembers = append(c.RemoveMembers, m.AccountID)
		}
	}
	return nil
}

// memberIDs reads `value eq "a" or value eq "b"`.
func memberIDs(e filter.Expression) ([]string, bool) {
	switch e := e.(type) {
	case *filter.AttributeExpression:
		s, ok := e.CompareValue.(string)
		if !ok || !strings.EqualFold(e.AttributePath.AttributeName, "value") || !strings.EqualFold(string(e.Operator), "eq") {
			return nil, false
		}
		return []string{unescape(s)}, true
	case *filter.LogicalExpression:
		if !strings.EqualFold(string(e.Operator), "or") {
			return nil, false
		}
		l, ok1 := memberIDs(e.Left)
		r, ok2 := memberIDs(e.Right)
		return append(l, r...), ok1 && ok2
	}
	return nil, false
}

// Delete deletes a group and its member rows.
func (g *groups) Delete(r *http.Request, id string) error {
	h := g.h
	return h.handlerErr(r, h.st.DeleteGroupIf(r.Context(), actor(r), orgOf(r), id, ifMatch(r, groupVersion)))
}
