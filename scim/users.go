package scim

import (
	"bytes"
	"context"
	"net/http"
	"strings"

	"github.com/elimity-com/scim"

	"github.com/idbridge/idbridge/store"
)

// users serves /Users: a SCIM User is an account plus its membership in the
// token's org; id is the account id.
type users struct{ h *Handler }

// idpPassword is the password an IdP sent, or "" when the service would
// refuse it: it is then not set (the person uses "forgot password"), as
// refusing the request would stop provisioning.
func (h *Handler) idpPassword(r *http.Request, password string) string {
	if password != "" && store.CheckPassword(password) != nil {
		h.log.Info("scim.password_ignored", "request_id", h.requestID(r.Context()), "reason", "too weak")
		return ""
	}
	return password
}

// Create adds the person to the org: a new account, or a membership of the
// account that already has this email (rule 14).
func (u *users) Create(r *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	h := u.h
	doc, password, ext := userDoc(attrs)
	if err := h.checkUserDoc(doc); err != nil {
		return scim.Resource{}, err
	}
	email, err := signInEmail(doc)
	if err != nil {
		return scim.Resource{}, err
	}
	given, family, _ := docName(doc)
	profile, err := marshalDoc(doc)
	if err != nil {
		return scim.Resource{}, h.handlerErr(r, err)
	}
	m, err := h.st.CreateMember(r.Context(), actor(r), orgOf(r), store.NewMember{
		Email: email, GivenName: given, FamilyName: family, ExternalID: ext, Profile: profile,
		Disabled: !docActive(doc), Password: h.idpPassword(r, password),
	})
	if err != nil {
		return scim.Resource{}, h.handlerErr(r, err)
	}
	return h.userResource(m, []store.Group{}), nil
}

// Get returns one member with their groups.
func (u *users) Get(r *http.Request, id string) (scim.Resource, error) {
	h := u.h
	d, err := h.st.GetMemberDetails(r.Context(), orgOf(r), id)
	if err != nil {
		return scim.Resource{}, h.handlerErr(r, err)
	}
	groups := d.Groups
	if groups == nil {
		groups = []store.Group{}
	}
	if !wanted(r, "groups") {
		groups = nil
	}
	return h.userResource(d.Member, groups), nil
}

// GetAll lists the org's members matching the filter, sorted and paged in SQL.
func (u *users) GetAll(r *http.Request, params scim.ListRequestParams) (scim.Page, error) {
	h := u.h
	q, lp, err := queryOf(r, params, userFilter)
	if err != nil {
		return scim.Page{}, err
	}
	if lp.sortBy != "" {
		f, err := userSortField(lp.sortBy)
		if err != nil {
			return scim.Page{}, err
		}
		q.SortBy = &f
	}
	ms, total, err := h.st.SearchMembers(r.Context(), orgOf(r), q)
	if err != nil {
		return scim.Page{}, h.handlerErr(r, err)
	}
	// Lists leave out groups (a query per user) unless asked for by name.
	withGroups := false
	for _, a := range lp.attributes {
		withGroups = withGroups || strings.EqualFold(strings.SplitN(a, ".", 2)[0], "groups")
	}
	page := scim.Page{TotalResults: total, Resources: make([]scim.Resource, 0, len(ms))}
	for _, m := range ms {
		var groups []store.Group
		if withGroups {
			if groups, err = h.st.GroupsOfMember(r.Context(), orgOf(r), m.Account.ID); err != nil {
				return scim.Page{}, h.handlerErr(r, err)
			}
			if groups == nil {
				groups = []store.Group{}
			}
		}
		page.Resources = append(page.Resources, h.userResource(m, groups))
	}
	if lp.returned != nil {
		*lp.returned = len(page.Resources)
	}
	return page, nil
}

// userSortField maps sortBy through the same allow-list as filters.
func userSortField(sortBy string) (store.Field, error) {
	if strings.EqualFold(sortBy, "emails") || strings.EqualFold(sortBy, "emails.value") {
		return store.Named(store.FieldEmail), nil
	}
	p, err := parseAttrPath(sortBy)
	if err != nil {
		return store.Field{}, err
	}
	info, err := userAttr(p)
	if err != nil || info.multi || info.invert {
		return store.Field{}, invalidValue("sortBy %q is not a single-valued attribute.", sortBy)
	}
	return info.field, nil
}

// Replace sets the org's whole view of the person (PUT).
func (u *users) Replace(r *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	h := u.h
	cur, err := h.st.GetMember(r.Context(), orgOf(r), id)
	if err != nil {
		return scim.Resource{}, h.handlerErr(r, err)
	}
	doc, password, ext := userDoc(attrs)
	if err := h.checkUserDoc(doc); err != nil {
		return scim.Resource{}, err
	}
	return u.apply(r, cur, doc, ext, password, false)
}

// Patch applies the operations to the org's view of the person, then stores
// the result like a PUT.
func (u *users) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	h := u.h
	cur, err := h.st.GetMember(r.Context(), orgOf(r), id)
	if err != nil {
		return scim.Resource{}, h.handlerErr(r, err)
	}
	doc := currentDoc(cur)
	if cur.Membership.ExternalID != "" {
		doc["externalId"] = cur.Membership.ExternalID
	}
	if err := patchDoc(r.Context(), doc, ops, cur.Account.ID, h.opt.MaxValues); err != nil {
		return scim.Resource{}, h.handlerErr(r, err)
	}
	doc, password, ext := userDoc(doc)
	// A PATCH that removes name removes the names (a PUT without name
	// leaves them: RFC 7644 3.5.1 lets an omitted attribute be unasserted).
	_, _, hasName := docName(doc)
	return u.apply(r, cur, doc, ext, password, !hasName)
}

// patchDoc applies the operations to a user document in order. The work
// stops with the request's deadline, and as soon as an attribute grows past
// max values (each operation costs time linear in the values it touches).
// A member stored with more than one primary value, or more than max values,
// before these checks, can still be changed where it does not add to that.
func patchDoc(ctx context.Context, doc map[string]any, ops []scim.PatchOperation, id string, max int) error {
	counts, primaries := valueCounts(doc), severalPrimaries(doc)
	for _, op := range ops {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := patchUser(doc, op, id); err != nil {
			return err
		}
		if err := checkValues(doc, counts, max); err != nil {
			return err
		}
	}
	return checkPrimary(doc, primaries)
}

// apply stores a new view of a member in one store.UpdateSCIMUser: the
// sign-in email (rules 1-5), the name (rule 8), the membership (active,
// externalId, profile; rule 13) and a password the IdP sent (set only where
// the store allows it), all or nothing, If-Match checked inside. noName
// clears the names when doc has none (a PATCH that removed name).
func (u *users) apply(r *http.Request, cur store.Member, doc map[string]any, ext, password string, noName bool) (scim.Resource, error) {
	h := u.h
	ctx, id := r.Context(), cur.Account.ID
	email, err := signInEmail(doc)
	if err != nil {
		return scim.Resource{}, err
	}
	c := store.SCIMUserChange{Precondition: ifMatch(r, version)}
	if !strings.EqualFold(email, cur.Account.Email) {
		c.Email = email
	}
	given, family, ok := docName(doc)
	if ok || noName {
		if given != cur.Account.GivenName || family != cur.Account.FamilyName {
			c.Name = &[2]string{given, family}
		}
	}
	disabled := !docActive(doc)
	delete(doc, "active")
	profile, err := marshalDoc(doc)
	if err != nil {
		return scim.Resource{}, h.handlerErr(r, err)
	}
	old := currentDoc(cur)
	delete(old, "active")
	oldJSON, _ := marshalDoc(old)
	if disabled != cur.Membership.Disabled {
		c.Member.Disabled = &disabled
	}
	if ext != cur.Membership.ExternalID {
		c.Member.ExternalID = &ext
	}
	if !bytes.Equal(oldJSON, profile) || len(cur.Membership.Profile) == 0 {
		c.Member.Profile = &profile
	}
	c.Password = h.idpPassword(r, password)
	if err := h.st.UpdateSCIMUser(ctx, actor(r), orgOf(r), id, c); err != nil {
		return scim.Resource{}, h.handlerErr(r, err)
	}
	return u.Get(r, id)
}

// Delete removes the person from the org (membership, group memberships,
// sessions there); the account stays.
func (u *users) Delete(r *http.Request, id string) error {
	h := u.h
	return h.handlerErr(r, h.st.RemoveMemberIf(r.Context(), actor(r), orgOf(r), id, ifMatch(r, version)))
}
