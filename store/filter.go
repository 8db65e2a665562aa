package store

import (
	"fmt"
	"regexp"
	"time"
)

// Field names a value of a member or a group that a Filter compares or a
// Query sorts by: either one of the named fields below or, with Path set, a
// key path inside the membership's Profile (the org's IdP document). Backends
// map each named field to a column through an allow-list and each Path to a
// JSON path; anything else is an *InvalidError.
type Field struct {
	Name string
	// Path is a key path into Membership.Profile (members only), for example
	// ["name", "givenName"]. Keys match ProfileKey.
	Path []string
}

// Named fields. Members: FieldID (the account id), FieldUserName, FieldEmail,
// FieldExternalID, FieldDisabled, FieldGivenName, FieldFamilyName,
// FieldCreatedAt, FieldUpdatedAt (of the membership). Groups: FieldID,
// FieldDisplayName, FieldExternalID, FieldMember (a member's account id),
// FieldCreatedAt, FieldUpdatedAt.
const (
	FieldID          = "id"
	FieldUserName    = "user_name" // the profile's userName, else the account's email
	FieldEmail       = "email"
	FieldExternalID  = "external_id"
	FieldDisabled    = "disabled"
	FieldGivenName   = "given_name"
	FieldFamilyName  = "family_name"
	FieldCreatedAt   = "created_at"
	FieldUpdatedAt   = "updated_at"
	FieldDisplayName = "display_name"
	FieldMember      = "member"
)

// Named returns the named field n.
func Named(n string) Field { return Field{Name: n} }

// ProfilePath returns the field at a key path of the membership profile.
func ProfilePath(keys ...string) Field { return Field{Path: keys} }

func (f Field) String() string {
	if f.Name != "" {
		return f.Name
	}
	return fmt.Sprintf("profile%q", f.Path)
}

// Op is a comparison of a Filter.
type Op string

// Comparison operators (RFC 7644's, by meaning). OpPresent takes no value.
const (
	OpEq         Op = "eq"
	OpNe         Op = "ne"
	OpContains   Op = "co"
	OpStartsWith Op = "sw"
	OpEndsWith   Op = "ew"
	OpGt         Op = "gt"
	OpGe         Op = "ge"
	OpLt         Op = "lt"
	OpLe         Op = "le"
	OpPresent    Op = "pr"
)

// Filter is a condition on members or groups: Compare, And, Or, Not or Any.
type Filter interface{ isFilter() }

// Compare compares a field with a value: a string, a bool, a float64 or a
// time.Time (nil for OpPresent). Strings compare case-insensitively unless
// CaseExact.
type Compare struct {
	Field     Field
	Op        Op
	Value     any
	CaseExact bool
}

// And matches when both sides match.
type And struct{ Left, Right Filter }

// Or matches when either side matches.
type Or struct{ Left, Right Filter }

// Not matches when Filter does not.
type Not struct{ Filter Filter }

// Any matches when some element of the array at Path in the profile matches
// Where, whose fields are Paths relative to the element (an empty Path is the
// element itself). For example the emails whose type is "work".
type Any struct {
	Path  []string
	Where Filter
}

// InGroup matches the members of some group of theirs matching Where, a
// filter on group fields (nil: any group). It is SCIM's User "groups".
type InGroup struct{ Where Filter }

func (InGroup) isFilter() {}
func (Compare) isFilter() {}
func (And) isFilter()     {}
func (Or) isFilter()      {}
func (Not) isFilter()     {}
func (Any) isFilter()     {}

// Query selects a page of an org's members or groups.
type Query struct {
	Filter Filter // nil: all
	// SortBy, when set, orders the page (then by id, so the order is stable);
	// otherwise the order is by id.
	SortBy     *Field
	Descending bool
	Offset     int
	Limit      int
	// CountOnly skips the page and returns only the total.
	CountOnly bool
}

// MaxFilterDepth bounds the nesting of a Filter.
const MaxFilterDepth = 16

// MaxFilterTerms bounds the comparisons in a Filter.
const MaxFilterTerms = 64

var profileKey = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_$.:-]{0,127}$`)

// ProfileKey reports whether k may appear in a profile Path: a letter, then
// letters, digits and "_$.:-" (extension URNs), at most 128 characters. Keys
// can therefore be written into SQL as literals without quoting problems.
func ProfileKey(k string) bool { return profileKey.MatchString(k) }

// CheckFilter validates f for members (groups false) or groups: known fields,
// valid paths, value types that fit the operator, bounded size.
func CheckFilter(f Filter, groups bool) error {
	terms := 0
	return checkFilter(f, groups, false, 0, &terms)
}

func checkFilter(f Filter, groups, inAny bool, depth int, terms *int) error {
	if depth > MaxFilterDepth {
		return invalid("filter", "nested deeper than %d levels", MaxFilterDepth)
	}
	switch f := f.(type) {
	case nil:
		return nil
	case Compare:
		*terms++
		if *terms > MaxFilterTerms {
			return invalid("filter", "more than %d comparisons", MaxFilterTerms)
		}
		return checkCompare(f, groups, inAny)
	case And:
		if err := checkFilter(f.Left, groups, inAny, depth+1, terms); err != nil {
			return err
		}
		return checkFilter(f.Right, groups, inAny, depth+1, terms)
	case Or:
		if err := checkFilter(f.Left, groups, inAny, depth+1, terms); err != nil {
			return err
		}
		return checkFilter(f.Right, groups, inAny, depth+1, terms)
	case Not:
		return checkFilter(f.Filter, groups, inAny, depth+1, terms)
	case InGroup:
		if groups || inAny {
			return invalid("filter", "a group filter is not supported here")
		}
		return checkFilter(f.Where, true, false, depth+1, terms)
	case Any:
		if groups || inAny {
			return invalid("filter", "a value filter is not supported here")
		}
		if err := checkPath(f.Path, false); err != nil {
			return err
		}
		return checkFilter(f.Where, groups, true, depth+1, terms)
	}
	return invalid("filter", "unsupported expression %T", f)
}

func checkPath(p []string, emptyOK bool) error {
	if len(p) == 0 && !emptyOK || len(p) > 4 {
		return invalid("filter", "a profile path has 1 to 4 keys")
	}
	for _, k := range p {
		if !ProfileKey(k) {
			return invalid("filter", "%q is not a valid attribute name", k)
		}
	}
	return nil
}

var memberFields = map[string]bool{FieldID: true, FieldUserName: true, FieldEmail: true, FieldExternalID: true,
	FieldDisabled: true, FieldGivenName: true, FieldFamilyName: true, FieldCreatedAt: true, FieldUpdatedAt: true}

var groupFields = map[string]bool{FieldID: true, FieldDisplayName: true, FieldExternalID: true, FieldMember: true,
	FieldCreatedAt: true, FieldUpdatedAt: true}

// CheckField validates a field for members (groups false) or groups.
func CheckField(f Field, groups bool) error { return checkField(f, groups, false) }

func checkField(f Field, groups, inAny bool) error {
	switch {
	case f.Name != "" && len(f.Path) > 0:
		return invalid("filter", "a field is a name or a path, not both")
	case inAny:
		if f.Name != "" {
			return invalid("filter", "only profile paths inside a value filter")
		}
		return checkPath(f.Path, true)
	case f.Name == "":
		if groups {
			return invalid("filter", "groups have no profile")
		}
		return checkPath(f.Path, false)
	case groups && !groupFields[f.Name], !groups && !memberFields[f.Name]:
		return invalid("filter", "%q cannot be filtered on", f.Name)
	}
	return nil
}

func checkCompare(c Compare, groups, inAny bool) error {
	if err := checkField(c.Field, groups, inAny); err != nil {
		return err
	}
	switch c.Op {
	case OpPresent:
		return nil
	case OpEq, OpNe, OpGt, OpGe, OpLt, OpLe:
		switch v := c.Value.(type) {
		case string:
			if len(v) > 1024 {
				return invalid("filter", "a value is at most 1024 characters")
			}
			return nil
		case bool, float64, time.Time, nil:
			if v == nil && c.Op != OpEq && c.Op != OpNe {
				return invalid("filter", "null compares only with eq and ne")
			}
			return nil
		}
	case OpContains, OpStartsWith, OpEndsWith:
		if s, ok := c.Value.(string); ok && len(s) <= 1024 {
			return nil
		}
		return invalid("filter", "%s needs a string value of at most 1024 characters", c.Op)
	default:
		return invalid("filter", "unknown operator %q", c.Op)
	}
	return invalid("filter", "unsupported value type %T", c.Value)
}
