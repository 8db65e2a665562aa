package scim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/elimity-com/scim"
	scimerr "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"
	filter "github.com/scim2/filter-parser/v2"

	"github.com/idbridge/idbridge/store"
)

// maxFilterDepth bounds the nesting of a filter before it is parsed (the
// parser has no depth limit and costs microseconds per byte).
const maxFilterDepth = 12

func invalidFilter(format string, args ...any) error {
	return badRequest(scimerr.ScimTypeInvalidFilter, format, args...)
}

// queryOf builds the store query of a list request: paging, order, and the
// filter parsed and translated by toFilter (users or groups).
func queryOf(r *http.Request, params scim.ListRequestParams, toFilter func(filter.Expression) (store.Filter, error)) (store.Query, listParams, error) {
	lp := listParamsOf(r.Context())
	q := store.Query{Offset: params.StartIndex - 1, Limit: params.Count, CountOnly: params.Count == 0, Descending: lp.descending}
	if lp.filter != "" {
		e, err := parseFilter(lp.filter)
		if err != nil {
			return q, lp, err
		}
		if q.Filter, err = toFilter(e); err != nil {
			return q, lp, err
		}
	}
	return q, lp, nil
}

// parseFilter parses a raw SCIM filter. Value paths are cut out and parsed
// on their own (cutValuePaths), then put back into the tree.
func parseFilter(raw string) (filter.Expression, error) {
	if e := simpleEq(raw); e != nil {
		return e, nil
	}
	if depth(raw) > maxFilterDepth {
		return nil, invalidFilter("The filter is nested deeper than %d levels.", maxFilterDepth)
	}
	outer, paths, err := cutValuePaths(raw)
	if err != nil {
		return nil, err
	}
	e, err := filter.ParseFilter([]byte(outer))
	if err != nil || e == nil {
		return nil, errFilterSyntax
	}
	return withValuePaths(e, paths)
}

var errFilterSyntax = invalidFilter("The filter is not valid SCIM filter syntax.")

// valuePathMark names the stand-ins of cut-out value paths.
const valuePathMark = "idbridgevaluepath"

// valuePath is a value path cut out of a filter: attr[filter].
type valuePath struct{ attr, filter string }

// cutValuePaths replaces each value path of s with a stand-in
// (idbridgevaluepathN pr). The parser takes at most two terms inside
// brackets, no parentheses and no not, and not Entra's attr[F].sub op v at
// all; cut out, F is parsed as a whole filter, and attr[F].sub op v becomes
// attr[(F) and sub op v].
func cutValuePaths(s string) (string, []valuePath, error) {
	if strings.Contains(strings.ToLower(s), valuePathMark) {
		return "", nil, invalidFilter("Unknown attribute %q.", valuePathMark)
	}
	var b strings.Builder
	var paths []valuePath
	var err error
	copied := 0 // s[:copied] is in b
	scanCode(s, 0, func(i int) int {
		switch s[i] {
		case ']':
			err = errFilterSyntax
			return -1
		case '[':
		default:
			return i + 1
		}
		head := s[copied:i]
		attr := head[len(strings.TrimRightFunc(head, func(r rune) bool { return r < 128 && isNameByte(byte(r)) || r == ':' || r == '.' })):]
		end := closingBracket(s, i+1)
		if attr == "" || end < 0 {
			err = errFilterSyntax
			return -1
		}
		inner, rest := s[i+1:end], s[end+1:]
		if strings.HasPrefix(rest, ".") {
			j := 1
			for j < len(rest) && isNameByte(rest[j]) {
				j++
			}
			cmp, tail, ok := comparisonTail(rest[j:])
			if j == 1 || !ok {
				err = errFilterSyntax
				return -1
			}
			inner = "(" + inner + ") and " + rest[1:j] + " " + cmp
			rest = tail
		}
		b.WriteString(head[:len(head)-len(attr)])
		b.WriteString(valuePathMark + strconv.Itoa(len(paths)) + " pr")
		paths = append(paths, valuePath{attr: attr, filter: inner})
		copied = len(s) - len(rest)
		return copied
	})
	if err != nil {
		return "", nil, err
	}
	b.WriteString(s[copied:])
	return b.String(), paths, nil
}

// scanCode calls fn with the index of each byte of s from i on that is
// outside string literals; fn returns the index to go on from (i+1 to
// step), or a negative one to stop.
func scanCode(s string, i int, fn func(i int) int) {
	inStr := false
	for i >= 0 && i < len(s) {
		switch c := s[i]; {
		case inStr && c == '\\':
			i += 2
		case c == '"':
			inStr = !inStr
			i++
		case inStr:
			i++
		default:
			i = fn(i)
		}
	}
}

// closingBracket is the index of the "]" closing a value filter that starts
// at i, or -1; a nested "[" is not allowed.
func closingBracket(s string, i int) int {
	end := -1
	scanCode(s, i, func(j int) int {
		switch s[j] {
		case '[':
			return -1
		case ']':
			end = j
			return -1
		}
		return j + 1
	})
	return end
}

// withValuePaths puts the cut-out value paths back in place of their stand-ins.
func withValuePaths(e filter.Expression, paths []valuePath) (filter.Expression, error) {
	switch x := e.(type) {
	case *filter.LogicalExpression:
		l, err := withValuePaths(x.Left, paths)
		if err != nil {
			return nil, err
		}
		r, err := withValuePaths(x.Right, paths)
		if err != nil {
			return nil, err
		}
		return &filter.LogicalExpression{Left: l, Right: r, Operator: x.Operator}, nil
	case *filter.NotExpression:
		inner, err := withValuePaths(x.Expression, paths)
		if err != nil {
			return nil, err
		}
		return &filter.NotExpression{Expression: inner}, nil
	case *filter.AttributeExpression:
		name := strings.ToLower(x.AttributePath.AttributeName)
		if !strings.HasPrefix(name, valuePathMark) {
			return e, nil
		}
		n, err := strconv.Atoi(name[len(valuePathMark):])
		if err != nil || n < 0 || n >= len(paths) {
			return nil, errFilterSyntax
		}
		p, err := filter.ParseAttrPath([]byte(paths[n].attr))
		if err != nil {
			return nil, errFilterSyntax
		}
		vf, err := filter.ParseFilter([]byte(paths[n].filter))
		if err != nil || vf == nil {
			return nil, errFilterSyntax
		}
		return &filter.ValuePath{AttributePath: p, ValueFilter: vf}, nil
	}
	return e, nil
}

// simpleEqRE is `attr eq "value"` or `attr.sub eq "value"`: the lookups
// Entra and Okta send before every create. The parser costs microseconds
// per byte, so these skip it and yield the same expression.
var simpleEqRE = regexp.MustCompile(`^\s*([A-Za-z][A-Za-z0-9_-]*)(?:\.([A-Za-z][A-Za-z0-9_-]*))?\s+(?i:eq)\s+"((?:[^"\\]|\\.)*)"\s*$`)

func simpleEq(raw string) filter.Expression {
	m := simpleEqRE.FindStringSubmatch(raw)
	if m == nil {
		return nil
	}
	p := filter.AttributePath{AttributeName: m[1]}
	if m[2] != "" {
		sub := m[2]
		p.SubAttribute = &sub
	}
	return &filter.AttributeExpression{AttributePath: p, Operator: filter.EQ, CompareValue: m[3]}
}

// depth is the deepest nesting of brackets outside string literals.
func depth(s string) int {
	d, most := 0, 0
	scanCode(s, 0, func(i int) int {
		switch s[i] {
		case '(', '[':
			d++
			most = max(most, d)
		case ')', ']':
			d--
		}
		return i + 1
	})
	return most
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '$'
}

// comparisonTail splits ` eq "x" and ...` into `eq "x"` and ` and ...`.
func comparisonTail(s string) (cmp, tail string, ok bool) {
	t := strings.TrimLeft(s, " ")
	if len(t) < 2 {
		return "", "", false
	}
	op := strings.ToLower(t[:2])
	rest := t[2:]
	if op == "pr" {
		return "pr", rest, true
	}
	switch op {
	case "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le":
	default:
		return "", "", false
	}
	v := strings.TrimLeft(rest, " ")
	if v == "" {
		return "", "", false
	}
	n := 0
	if v[0] == '"' {
		n = 1
		for n < len(v) && v[n] != '"' {
			if v[n] == '\\' {
				n++
			}
			n++
		}
		if n >= len(v) {
			return "", "", false
		}
		n++
	} else {
		for n < len(v) && v[n] != ' ' && v[n] != ')' && v[n] != ']' {
			n++
		}
	}
	return op + " " + v[:n], v[n:], true
}

// attrInfo is what the allow-list knows of a SCIM attribute.
type attrInfo struct {
	field     store.Field
	caseExact bool
	multi     bool   // multi-valued: compared through store.Any
	kind      string // "string", "boolean", "dateTime", "complex", ...
	invert    bool   // active is stored as disabled
}

// userAttr resolves a user attribute path through the allow-list: the
// columns we keep, else a path into the org's profile for attributes of the
// user or enterprise schema. Unknown attributes are an error.
func userAttr(p filter.AttributePath) (attrInfo, error) {
	uri := p.URI()
	name, sub := p.AttributeName, p.SubAttributeName()
	if uri == "" || strings.EqualFold(uri, userURN) {
		switch strings.ToLower(name) {
		case "id":
			return attrInfo{field: store.Named(store.FieldID), caseExact: true, kind: "string"}, nil
		case "username":
			return attrInfo{field: store.Named(store.FieldUserName), kind: "string"}, nil
		case "externalid":
			return attrInfo{field: store.Named(store.FieldExternalID), caseExact: true, kind: "string"}, nil
		case "active":
			return attrInfo{field: store.Named(store.FieldDisabled), kind: "boolean", invert: true}, nil
		case "meta":
			switch strings.ToLower(sub) {
			case "created":
				return attrInfo{field: store.Named(store.FieldCreatedAt), kind: "dateTime"}, nil
			case "lastmodified":
				return attrInfo{field: store.Named(store.FieldUpdatedAt), kind: "dateTime"}, nil
			}
			return attrInfo{}, invalidFilter("meta.%s cannot be filtered on.", sub)
		case "password":
			return attrInfo{}, invalidFilter("%s cannot be filtered on.", name)
		}
		return schemaAttr(userSchema, "", name, sub)
	}
	if strings.EqualFold(uri, enterpriseURN) {
		return schemaAttr(enterpriseSchema, enterpriseURN, name, sub)
	}
	return attrInfo{}, invalidFilter("Unknown schema %q.", uri)
}

// schemaAttr maps an attribute of a schema to a profile path, using the
// schema's canonical names (the profile is stored with them).
func schemaAttr(s schema.Schema, urn, name, sub string) (attrInfo, error) {
	a, ok := s.Attributes.ContainsAttribute(name)
	if !ok {
		return attrInfo{}, invalidFilter("Unknown attribute %q.", name)
	}
	path := []string{a.Name()}
	if urn != "" {
		path = []string{urn, a.Name()}
	}
	info := attrInfo{caseExact: a.CaseExact(), multi: a.MultiValued(), kind: a.AttributeType()}
	if a.HasSubAttributes() {
		if sub == "" {
			sub = "value"
		}
		sa, ok := a.SubAttributes().ContainsAttribute(sub)
		if !ok {
			return attrInfo{}, invalidFilter("Unknown attribute %q.", name+"."+sub)
		}
		info.caseExact, info.kind = sa.CaseExact(), sa.AttributeType()
		if info.multi {
			info.field = store.ProfilePath(sa.Name())
			info.field.Path = append([]string{""}, info.field.Path...) // marker: element path follows
			info.field.Path = append(path, info.field.Path...)
			return info, nil
		}
		path = append(path, sa.Name())
	} else if sub != "" {
		return attrInfo{}, invalidFilter("%q has no sub-attributes.", name)
	}
	info.field = store.ProfilePath(path...)
	return info, nil
}

// splitMulti splits a multi-valued field path at its "" marker into the
// array path and the element path.
func splitMulti(p []string) (arr, elem []string) {
	for i, k := range p {
		if k == "" {
			return p[:i], p[i+1:]
		}
	}
	return p, nil
}

// logical translates and, or and not with each operand translated by leaf;
// ok is false for any other expression, which is the caller's to translate.
func logical(e filter.Expression, leaf func(filter.Expression) (store.Filter, error)) (f store.Filter, ok bool, err error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, err := leaf(e.Left)
		if err != nil {
			return nil, true, err
		}
		r, err := leaf(e.Right)
		if err != nil {
			return nil, true, err
		}
		if strings.EqualFold(string(e.Operator), "or") {
			return store.Or{Left: l, Right: r}, true, nil
		}
		return store.And{Left: l, Right: r}, true, nil
	case *filter.NotExpression:
		inner, err := leaf(e.Expression)
		if err != nil {
			return nil, true, err
		}
		return store.Not{Filter: inner}, true, nil
	}
	return nil, false, nil
}

// userFilter translates a parsed filter into a store filter for members.
func userFilter(e filter.Expression) (store.Filter, error) {
	if f, ok, err := logical(e, userFilter); ok {
		return f, err
	}
	switch e := e.(type) {
	case *filter.AttributeExpression:
		if isGroups(e.AttributePath) {
			return groupsFilter(e)
		}
		info, err := userAttr(e.AttributePath)
		if err != nil {
			return nil, err
		}
		return compare(info, e.Operator, e.CompareValue)
	case *filter.ValuePath:
		if e.AttributePath.SubAttributeName() != "" {
			return nil, invalidFilter("Unsupported value filter.")
		}
		if isGroups(e.AttributePath) {
			where, err := groupsElementFilter(e.ValueFilter)
			return store.InGroup{Where: where}, err
		}
		info, err := userAttr(e.AttributePath)
		if err != nil {
			return nil, err
		}
		arr, _ := splitMulti(info.field.Path)
		if !info.multi {
			return nil, invalidFilter("%s is not multi-valued.", e.AttributePath.AttributeName)
		}
		where, err := elementFilter(e.AttributePath, e.ValueFilter)
		if err != nil {
			return nil, err
		}
		return store.Any{Path: arr, Where: where}, nil
	}
	return nil, invalidFilter("Unsupported filter expression.")
}

// isGroups reports whether p is the User's "groups" (the groups the member
// is in, kept as group rows, not in the profile).
func isGroups(p filter.AttributePath) bool {
	uri := p.URI()
	return (uri == "" || strings.EqualFold(uri, userURN)) && strings.EqualFold(p.AttributeName, "groups")
}

// userGroupAttr maps a sub-attribute of User.groups to a group field.
func userGroupAttr(sub string) (attrInfo, error) {
	switch strings.ToLower(sub) {
	case "", "value":
		return attrInfo{field: store.Named(store.FieldID), caseExact: true, kind: "string"}, nil
	case "display":
		return attrInfo{field: store.Named(store.FieldDisplayName), kind: "string"}, nil
	}
	return attrInfo{}, invalidFilter("groups.%s cannot be filtered on.", sub)
}

// groupsFilter translates `groups op v`, `groups.value op v` (a group id),
// `groups.display op v` and `groups pr`: the member is in such a group.
func groupsFilter(e *filter.AttributeExpression) (store.Filter, error) {
	sub := e.AttributePath.SubAttributeName()
	if e.Operator == filter.PR && sub == "" {
		return store.InGroup{}, nil
	}
	info, err := userGroupAttr(sub)
	if err != nil {
		return nil, err
	}
	c, err := compare(info, e.Operator, e.CompareValue)
	return store.InGroup{Where: c}, err
}

// groupsElementFilter translates the filter inside groups[...] for one group.
func groupsElementFilter(e filter.Expression) (store.Filter, error) {
	if f, ok, err := logical(e, groupsElementFilter); ok {
		return f, err
	}
	a, ok := e.(*filter.AttributeExpression)
	if !ok {
		return nil, invalidFilter("Unsupported value filter.")
	}
	info, err := userGroupAttr(a.AttributePath.AttributeName)
	if err != nil {
		return nil, err
	}
	return compare(info, a.Operator, a.CompareValue)
}

// elementFilter translates the filter inside attr[...] for one element.
func elementFilter(parent filter.AttributePath, e filter.Expression) (store.Filter, error) {
	inner := func(e filter.Expression) (store.Filter, error) { return elementFilter(parent, e) }
	if f, ok, err := logical(e, inner); ok {
		return f, err
	}
	switch e := e.(type) {
	case *filter.AttributeExpression:
		p := parent
		sub := e.AttributePath.AttributeName
		p.SubAttribute = &sub
		info, err := userAttr(p)
		if err != nil {
			return nil, err
		}
		_, elem := splitMulti(info.field.Path)
		info.field = store.ProfilePath(elem...)
		info.multi = false
		return compare(info, e.Operator, e.CompareValue)
	}
	return nil, invalidFilter("Unsupported value filter.")
}

// compare builds one comparison, checking the value against the attribute's type.
func compare(info attrInfo, op filter.CompareOperator, raw any) (store.Filter, error) {
	o := store.Op(strings.ToLower(string(op)))
	var v any
	if o != store.OpPresent {
		var err error
		if v, err = filterValue(info, raw); err != nil {
			return nil, err
		}
	}
	if info.invert {
		b, ok := v.(bool)
		switch {
		case o == store.OpPresent:
			return store.Compare{Field: store.Named(store.FieldID), Op: store.OpPresent}, nil
		case !ok || (o != store.OpEq && o != store.OpNe):
			return nil, invalidFilter("active compares with eq or ne and true or false.")
		}
		v = !b
	}
	c := store.Compare{Field: info.field, Op: o, Value: v, CaseExact: info.caseExact}
	if info.multi {
		arr, elem := splitMulti(info.field.Path)
		c.Field = store.ProfilePath(elem...)
		return store.Any{Path: arr, Where: c}, nil
	}
	return c, nil
}

// filterValue converts a parsed literal: strings are unescaped; dateTime
// attributes need an RFC 3339 time; numbers become float64.
func filterValue(info attrInfo, raw any) (any, error) {
	switch v := raw.(type) {
	case nil:
		return nil, nil
	case bool:
		return v, nil
	case int:
		return float64(v), nil
	case float64:
		return v, nil
	case string:
		var s string
		if err := json.Unmarshal([]byte(`"`+v+`"`), &s); err != nil {
			return nil, invalidFilter("A string in the filter is not valid.")
		}
		if strings.IndexByte(s, 0) >= 0 {
			return nil, errNUL
		}
		if info.kind == "dateTime" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return nil, invalidFilter("%q is not an RFC 3339 date-time.", s)
			}
			return t.UTC(), nil
		}
		return s, nil
	}
	return nil, invalidFilter("Unsupported value %v.", fmt.Sprint(raw))
}
