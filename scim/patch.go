package scim

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/elimity-com/scim"
	scimerr "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"
	filter "github.com/scim2/filter-parser/v2"
)

func invalidValue(format string, args ...any) error {
	return badRequest(scimerr.ScimTypeInvalidValue, format, args...)
}

func parseAttrPath(s string) (filter.AttributePath, error) {
	p, err := filter.ParsePath([]byte(s))
	if err != nil || p.ValueExpression != nil {
		return filter.AttributePath{}, invalidValue("%q is not an attribute path.", s)
	}
	return p.AttributePath, nil
}

// patchUser applies one validated PATCH operation to a user document.
// Read-only attributes (id, meta, groups) refuse any change but a no-op.
func patchUser(doc map[string]any, op scim.PatchOperation, id string) error {
	if op.Path == nil {
		m, ok := op.Value.(map[string]any)
		if !ok {
			return invalidValue("A PATCH operation without a path needs an object value.")
		}
		for k, v := range m {
			if strings.EqualFold(k, enterpriseURN) {
				ext, ok := v.(map[string]any)
				if !ok {
					return invalidValue("The value of %s must be an object.", enterpriseURN)
				}
				for ek, ev := range ext {
					p, err := filter.ParsePath([]byte(enterpriseURN + ":" + ek))
					if err != nil {
						return invalidValue("%q is not an attribute path.", ek)
					}
					if err := patchUser(doc, scim.PatchOperation{Op: op.Op, Path: &p, Value: ev}, id); err != nil {
						return err
					}
				}
				continue
			}
			p, err := filter.ParsePath([]byte(k))
			if err != nil {
				return invalidValue("%q is not an attribute path.", k)
			}
			if err := patchUser(doc, scim.PatchOperation{Op: op.Op, Path: &p, Value: v}, id); err != nil {
				return err
			}
		}
		return nil
	}
	ap := op.Path.AttributePath
	uri := ap.URI()
	var s schema.Schema
	target := doc
	switch {
	case uri == "" || strings.EqualFold(uri, userURN):
		s = userSchema
		switch strings.ToLower(ap.AttributeName) {
		case "id":
			if v, _ := op.Value.(string); v == id && op.Op != scim.PatchOperationRemove {
				return nil
			}
			return mutability("id is read-only.")
		case "meta", "groups":
			return mutability(ap.AttributeName + " is read-only.")
		case "password":
			// taken out by userDoc and set through store.UpdateSCIMUser
			return patchSimple(doc, "password", op)
		case "externalid":
			return patchSimple(doc, "externalId", op)
		case "active":
			// Unassigned, active would default to true: a remove would
			// re-enable a disabled member.
			if op.Op == scim.PatchOperationRemove {
				return mutability("active cannot be removed: replace it with true or false.")
			}
		}
	case strings.EqualFold(uri, enterpriseURN):
		s = enterpriseSchema
		ext, _ := lookup(doc, enterpriseURN).(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			setKey(doc, enterpriseURN, ext)
		}
		target = ext
		defer func() {
			if len(ext) == 0 {
				delete(doc, enterpriseURN)
			}
		}()
	default:
		return invalidPath("Unknown schema %q.", uri)
	}
	attr, ok := s.Attributes.ContainsAttribute(ap.AttributeName)
	if !ok {
		return invalidPath("Unknown attribute %q.", ap.AttributeName)
	}
	name := attr.Name()
	sub := ap.SubAttributeName()
	if op.Path.ValueExpression != nil {
		if sub == "" {
			sub = op.Path.SubAttributeName()
		}
		return patchElements(target, name, op.Path.ValueExpression, canonicalSub(attr, sub), op)
	}
	if sub != "" {
		if attr.MultiValued() {
			return invalidPath("Use a value filter to change %s.%s.", name, sub)
		}
		m, _ := lookup(target, name).(map[string]any)
		if m == nil {
			if op.Op == scim.PatchOperationRemove {
				return nil
			}
			m = map[string]any{}
		}
		if err := patchSimple(m, canonicalSub(attr, sub), op); err != nil {
			return err
		}
		if len(m) == 0 {
			deleteKey(target, name)
		} else {
			setKey(target, name, m)
		}
		return nil
	}
	switch op.Op {
	case scim.PatchOperationRemove:
		if list, ok := op.Value.([]any); ok && attr.MultiValued() {
			return removeValues(target, name, list)
		}
		deleteKey(target, name)
	case scim.PatchOperationAdd:
		if attr.MultiValued() {
			list, _ := lookup(target, name).([]any)
			added := asList(op.Value)
			list = addValues(list, added)
			onePrimary(list, added)
			setKey(target, name, list)
			return nil
		}
		fallthrough
	default:
		if m, ok := op.Value.(map[string]any); ok && !attr.MultiValued() {
			cur, _ := lookup(target, name).(map[string]any)
			if cur == nil {
				cur = map[string]any{}
			}
			for k, v := range m {
				setKey(cur, k, v)
			}
			setKey(target, name, cur)
			return nil
		}
		if attr.MultiValued() {
			setKey(target, name, asList(op.Value))
			return nil
		}
		setKey(target, name, op.Value)
	}
	return nil
}

func mutability(detail string) error {
	return badRequest(scimerr.ScimTypeMutability, "%s", detail)
}

func invalidPath(format string, args ...any) error {
	return badRequest(scimerr.ScimTypeInvalidPath, format, args...)
}

func canonicalSub(attr schema.CoreAttribute, sub string) string {
	if sa, ok := attr.SubAttributes().ContainsAttribute(sub); ok {
		return sa.Name()
	}
	return sub
}

func patchSimple(m map[string]any, key string, op scim.PatchOperation) error {
	if op.Op == scim.PatchOperationRemove {
		deleteKey(m, key)
		return nil
	}
	setKey(m, key, op.Value)
	return nil
}

// patchElements applies an operation to the elements of a multi-valued
// attribute that match expr, e.g. emails[type eq "work"].value. An add or
// replace that matches nothing adds an element made of expr's equalities.
func patchElements(target map[string]any, name string, expr filter.Expression, sub string, op scim.PatchOperation) error {
	list, _ := lookup(target, name).([]any)
	var out, written []any
	for _, e := range list {
		m, _ := e.(map[string]any)
		if m == nil || !matches(m, expr) {
			out = append(out, e)
			continue
		}
		switch {
		case op.Op == scim.PatchOperationRemove && sub == "":
			written = append(written, nil)
			continue // drop the element
		case op.Op == scim.PatchOperationRemove:
			deleteKey(m, sub)
		case sub != "":
			setKey(m, sub, op.Value)
		default:
			v, ok := op.Value.(map[string]any)
			if !ok {
				return invalidValue("The value for %s must be an object.", name)
			}
			for k, x := range v {
				setKey(m, k, x)
			}
		}
		written = append(written, m)
		out = append(out, m)
	}
	if len(written) == 0 && op.Op != scim.PatchOperationRemove {
		elem := map[string]any{}
		equalities(expr, elem)
		if sub != "" {
			elem[sub] = op.Value
		} else if v, ok := op.Value.(map[string]any); ok {
			for k, x := range v {
				setKey(elem, k, x)
			}
		} else {
			return invalidValue("The value for %s must be an object.", name)
		}
		written = append(written, elem)
		out = append(out, elem)
	}
	if op.Op != scim.PatchOperationRemove {
		onePrimary(out, written)
	}
	if len(out) == 0 {
		deleteKey(target, name)
		return nil
	}
	setKey(target, name, out)
	return nil
}

// equalities copies the `attr eq value` terms of an and-filter into elem.
func equalities(e filter.Expression, elem map[string]any) {
	switch e := e.(type) {
	case *filter.AttributeExpression:
		if strings.EqualFold(string(e.Operator), "eq") {
			v := e.CompareValue
			if s, ok := v.(string); ok {
				v = unescape(s)
			}
			elem[e.AttributePath.AttributeName] = v
		}
	case *filter.LogicalExpression:
		if strings.EqualFold(string(e.Operator), "and") {
			equalities(e.Left, elem)
			equalities(e.Right, elem)
		}
	}
}

// matches evaluates a value filter on one element of a PATCH target (the
// document being changed, already loaded: never a query).
func matches(elem map[string]any, e filter.Expression) bool {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		if strings.EqualFold(string(e.Operator), "or") {
			return matches(elem, e.Left) || matches(elem, e.Right)
		}
		return matches(elem, e.Left) && matches(elem, e.Right)
	case *filter.NotExpression:
		return !matches(elem, e.Expression)
	case *filter.AttributeExpression:
		got := lookup(elem, e.AttributePath.AttributeName)
		op := strings.ToLower(string(e.Operator))
		if op == "pr" {
			return got != nil && got != ""
		}
		want := e.CompareValue
		if s, ok := want.(string); ok {
			want = unescape(s)
		}
		gs, gok := got.(string)
		ws, wok := want.(string)
		if gok && wok {
			gs, ws = strings.ToLower(gs), strings.ToLower(ws)
			switch op {
			case "eq":
				return gs == ws
			case "ne":
				return gs != ws
			case "co":
				return strings.Contains(gs, ws)
			case "sw":
				return strings.HasPrefix(gs, ws)
			case "ew":
				return strings.HasSuffix(gs, ws)
			case "gt":
				return gs > ws
			case "ge":
				return gs >= ws
			case "lt":
				return gs < ws
			case "le":
				return gs <= ws
			}
			return false
		}
		eq := fmt.Sprint(boolOf(got)) == fmt.Sprint(want)
		switch op {
		case "eq":
			return eq
		case "ne":
			return !eq
		}
	}
	return false
}

func unescape(s string) string {
	var out string
	if err := decodeJSON([]byte(`"`+s+`"`), &out); err != nil {
		return s
	}
	return out
}

func asList(v any) []any {
	if v == nil {
		return nil
	}
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// valueKey is a value as JSON: equal values have equal keys (maps are
// written with their keys sorted), so values compare through a map, in
// linear time, where comparing each pair would take quadratic time.
func valueKey(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// addValues appends to list the values not already in it, one key per
// element: an add of many values costs linear time.
func addValues(list, values []any) []any {
	seen := make(map[string]bool, len(list)+len(values))
	for _, e := range list {
		seen[valueKey(e)] = true
	}
	for _, v := range values {
		if k := valueKey(v); !seen[k] {
			seen[k] = true
			list = append(list, v)
		}
	}
	return list
}

func isPrimary(v any) bool {
	m, ok := v.(map[string]any)
	return ok && lookup(m, "primary") == true
}

// onePrimary keeps primary only on the values just written when one of them
// is primary (RFC 7644 3.5.2: at most one primary value; a new primary value
// makes the others non-primary).
func onePrimary(list, written []any) {
	var keys map[string]bool
	for _, w := range written {
		if isPrimary(w) {
			if keys == nil {
				keys = map[string]bool{}
			}
			keys[valueKey(w)] = true
		}
	}
	if keys == nil {
		return
	}
	for _, e := range list {
		if isPrimary(e) && !keys[valueKey(e)] {
			setKey(e.(map[string]any), "primary", false)
		}
	}
}

// removeValues removes the elements equal to one of vs or with the same
// value, in linear time.
func removeValues(target map[string]any, name string, vs []any) error {
	list, _ := lookup(target, name).([]any)
	keys := make(map[string]bool, len(vs))
	values := make(map[string]bool, len(vs))
	for _, v := range vs {
		keys[valueKey(v)] = true
		if s := valueOf(v); s != "" {
			values[s] = true
		}
	}
	var out []any
	for _, e := range list {
		if s := valueOf(e); !(s != "" && values[s]) && !keys[valueKey(e)] {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		deleteKey(target, name)
	} else {
		setKey(target, name, out)
	}
	return nil
}

func valueOf(v any) string {
	if m, ok := v.(map[string]any); ok {
		s, _ := lookup(m, "value").(string)
		return s
	}
	s, _ := v.(string)
	return s
}

// setKey sets key, replacing any spelling of it in another case.
func setKey(m map[string]any, key string, v any) {
	deleteKey(m, key)
	m[key] = v
}

func deleteKey(m map[string]any, key string) {
	for k := range m {
		if strings.EqualFold(k, key) {
			delete(m, k)
		}
	}
}
