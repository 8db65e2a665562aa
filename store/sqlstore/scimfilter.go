package sqlstore

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/idbridge/idbridge/store"
)

// The SQL of a store.Filter. Every named field maps through an allow-list
// to a column; every profile path to a JSON path (keys checked by
// store.ProfileKey); every value is a bound parameter. Nothing is filtered
// in memory.

type colKind int

const (
	kindText   colKind = iota // compared case-insensitively with lower() unless case-exact
	kindNoCase                // compared through Dialect.Fold, like its unique index
	kindID                    // a uuid: eq/ne only
	kindBool
	kindTime
)

type column struct {
	expr string
	kind colKind
}

var memberColumns = map[string]column{
	store.FieldID:         {"m.account_id", kindID},
	store.FieldUserName:   {"m.user_name", kindNoCase}, // see migrations 0006 (PostgreSQL), 0005 (SQLite)
	store.FieldEmail:      {"a.email", kindNoCase},
	store.FieldExternalID: {"m.external_id", kindText},
	store.FieldDisabled:   {"m.disabled", kindBool},
	store.FieldGivenName:  {"a.given_name", kindText},
	store.FieldFamilyName: {"a.family_name", kindText},
	store.FieldCreatedAt:  {"m.created_at", kindTime},
	store.FieldUpdatedAt:  {"m.updated_at", kindTime},
}

var groupColumns = map[string]column{
	store.FieldID:          {"g.id", kindID},
	store.FieldDisplayName: {"g.display_name", kindNoCase},
	store.FieldExternalID:  {"g.external_id", kindText},
	store.FieldCreatedAt:   {"g.created_at", kindTime},
	store.FieldUpdatedAt:   {"g.updated_at", kindTime},
}

// filterSQL builds SQL for the filters of one query.
type filterSQL struct {
	t      *Tx
	a      *args
	orgArg string // the bound org id
	groups bool
}

func badFilter(format string, args ...any) error {
	return &store.InvalidError{Field: "filter", Detail: fmt.Sprintf(format, args...)}
}

func (s *filterSQL) where(f store.Filter) (string, error) {
	return s.expr(f, "")
}

// expr translates f; elem is the document of the current array element
// inside store.Any ("" outside).
func (s *filterSQL) expr(f store.Filter, elem string) (string, error) {
	switch f := f.(type) {
	case nil:
		return "1 = 1", nil
	case store.And:
		return s.pair(f.Left, f.Right, " AND ", elem)
	case store.Or:
		return s.pair(f.Left, f.Right, " OR ", elem)
	case store.Not:
		x, err := s.expr(f.Filter, elem)
		if err != nil {
			return "", err
		}
		return "NOT COALESCE((" + x + "), FALSE)", nil
	case store.Any:
		if s.groups || elem != "" {
			return "", badFilter("a value filter is not supported here")
		}
		from, e := s.t.d.JSON.Each("m.profile", f.Path)
		x, err := s.expr(f.Where, e)
		if err != nil {
			return "", err
		}
		return "EXISTS (SELECT 1 FROM " + from + " WHERE " + x + ")", nil
	case store.InGroup:
		if s.groups || elem != "" {
			return "", badFilter("a group filter is not supported here")
		}
		in := &filterSQL{t: s.t, a: s.a, orgArg: s.orgArg, groups: true}
		x, err := in.expr(f.Where, "")
		if err != nil {
			return "", err
		}
		return "EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.org_id = gm.org_id AND g.id = gm.group_id" +
			" WHERE gm.org_id = m.org_id AND gm.account_id = m.account_id AND " + x + ")", nil
	case store.Compare:
		return s.compare(f, elem)
	}
	return "", badFilter("unsupported expression %T", f)
}

func (s *filterSQL) pair(l, r store.Filter, op, elem string) (string, error) {
	x, err := s.expr(l, elem)
	if err != nil {
		return "", err
	}
	y, err := s.expr(r, elem)
	if err != nil {
		return "", err
	}
	return "(" + x + op + y + ")", nil
}

func (s *filterSQL) compare(c store.Compare, elem string) (string, error) {
	switch {
	case elem != "":
		if c.Field.Name != "" {
			return "", badFilter("only profile paths inside a value filter")
		}
		return s.jsonCompare(s.t.d.JSON.Text(elem, c.Field.Path), c)
	case len(c.Field.Path) > 0:
		if s.groups {
			return "", badFilter("groups have no profile")
		}
		return s.jsonCompare(s.t.d.JSON.Text("m.profile", c.Field.Path), c)
	case s.groups && c.Field.Name == store.FieldMember:
		return s.member(c)
	}
	cols := memberColumns
	if s.groups {
		cols = groupColumns
	}
	col, ok := cols[c.Field.Name]
	if !ok {
		return "", badFilter("%q cannot be filtered on", c.Field.Name)
	}
	x, err := s.columnCompare(col, c)
	if v, _ := c.Value.(string); err == nil && !s.groups && c.Field.Name == store.FieldExternalID && c.Op == store.OpEq && v != "" {
		// Implied by the comparison, but a planner that sees a parameter,
		// not its value, needs it to use the partial unique index.
		x = "(" + x + " AND " + col.expr + " <> '')"
	}
	return x, err
}

var sqlOps = map[store.Op]string{store.OpEq: "=", store.OpNe: "<>", store.OpGt: ">", store.OpGe: ">=", store.OpLt: "<", store.OpLe: "<="}

// likeOf is the LIKE pattern of co/sw/ew, with %, _ and \ escaped.
func likeOf(op store.Op, v string) string {
	v = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(v)
	switch op {
	case store.OpContains:
		return "%" + v + "%"
	case store.OpStartsWith:
		return v + "%"
	}
	return "%" + v
}

// textCompare compares a text expression; fold wraps both sides for a
// case-insensitive comparison.
func (s *filterSQL) textCompare(x string, c store.Compare, fold func(string) string) (string, error) {
	if c.Op == store.OpPresent {
		return "(" + x + " IS NOT NULL AND " + x + " <> '')", nil
	}
	if c.Value == nil {
		switch c.Op {
		case store.OpEq:
			return x + " IS NULL", nil
		case store.OpNe:
			return x + " IS NOT NULL", nil
		}
		return "", badFilter("null compares only with eq and ne")
	}
	v, ok := c.Value.(string)
	if !ok {
		if t, isTime := c.Value.(time.Time); isTime {
			v = t.UTC().Format(time.RFC3339Nano)
		} else {
			return "", badFilter("%s compares with a string", c.Field)
		}
	}
	if c.CaseExact {
		x, fold = s.t.d.Exact(x), func(e string) string { return e }
	}
	switch c.Op {
	case store.OpContains, store.OpStartsWith, store.OpEndsWith:
		p := v
		if !c.CaseExact {
			p = strings.ToLower(v)
		}
		lx := x
		if !c.CaseExact {
			lx = "lower(" + x + ")"
		}
		return lx + " LIKE " + s.a.add(likeOf(c.Op, p)) + ` ESCAPE '\'`, nil
	case store.OpNe:
		return "(" + x + " IS NULL OR " + fold(x) + " <> " + fold(s.a.add(v)) + ")", nil
	}
	op, ok := sqlOps[c.Op]
	if !ok {
		return "", badFilter("unknown operator %q", c.Op)
	}
	return fold(x) + " " + op + " " + fold(s.a.add(v)), nil
}

func lower(e string) string { return "lower(" + e + ")" }

func (s *filterSQL) jsonCompare(x string, c store.Compare) (string, error) {
	if b, ok := c.Value.(bool); ok {
		switch c.Op {
		case store.OpEq:
			return x + " = " + s.a.add(s.t.d.JSON.Bool(b)), nil
		case store.OpNe:
			return "(" + x + " IS NULL OR " + x + " <> " + s.a.add(s.t.d.JSON.Bool(b)) + ")", nil
		}
		return "", badFilter("a boolean compares only with eq and ne")
	}
	if _, ok := c.Value.(float64); ok {
		return "", badFilter("numbers are not supported in filters on %s", c.Field)
	}
	return s.textCompare(x, c, lower)
}

func (s *filterSQL) columnCompare(col column, c store.Compare) (string, error) {
	switch col.kind {
	case kindText:
		return s.textCompare(col.expr, c, lower)
	case kindNoCase:
		return s.textCompare(col.expr, c, s.t.d.Fold)
	case kindID:
		return s.idCompare(col.expr, c)
	case kindBool:
		if c.Op == store.OpPresent {
			return "1 = 1", nil
		}
		b, ok := c.Value.(bool)
		if !ok || (c.Op != store.OpEq && c.Op != store.OpNe) {
			return "", badFilter("%s compares with eq or ne and a boolean", c.Field)
		}
		if c.Op == store.OpNe {
			b = !b
		}
		return col.expr + " = " + s.a.add(b), nil
	case kindTime:
		if c.Op == store.OpPresent {
			return "1 = 1", nil
		}
		t, ok := c.Value.(time.Time)
		op, known := sqlOps[c.Op]
		if !ok || !known {
			return "", badFilter("%s compares with a date-time and eq, ne, gt, ge, lt or le", c.Field)
		}
		return col.expr + " " + op + " " + s.a.add(s.t.time(t)), nil
	}
	return "", badFilter("%q cannot be filtered on", c.Field)
}

// idCompare compares a uuid column; a malformed id matches nothing.
func (s *filterSQL) idCompare(x string, c store.Compare) (string, error) {
	if c.Op == store.OpPresent {
		return "1 = 1", nil
	}
	v, ok := c.Value.(string)
	if !ok || (c.Op != store.OpEq && c.Op != store.OpNe) {
		return "", badFilter("an id compares with eq or ne and a string")
	}
	u, err := uuid.Parse(v)
	if err != nil {
		if c.Op == store.OpEq {
			return "1 = 0", nil
		}
		return "1 = 1", nil
	}
	return x + " " + sqlOps[c.Op] + " " + s.a.add(u.String()), nil
}

// member is a group having (eq) or not having (ne) a member.
func (s *filterSQL) member(c store.Compare) (string, error) {
	const any = `EXISTS (SELECT 1 FROM group_members gm WHERE gm.org_id = g.org_id AND gm.group_id = g.id`
	if c.Op == store.OpPresent {
		return any + `)`, nil
	}
	v, ok := c.Value.(string)
	if !ok || (c.Op != store.OpEq && c.Op != store.OpNe) {
		return "", badFilter("members compares with eq or ne and a user id")
	}
	u, err := uuid.Parse(v)
	if err != nil {
		if c.Op == store.OpEq {
			return "1 = 0", nil
		}
		return "1 = 1", nil
	}
	x := any + ` AND gm.account_id = ` + s.a.add(u.String()) + `)`
	if c.Op == store.OpNe {
		x = "NOT " + x
	}
	return x, nil
}

// orderBy is the ORDER BY of a query: the sort field then the id, stable.
func (s *filterSQL) orderBy(q store.Query, idCol string) (string, error) {
	dir := ""
	if q.Descending {
		dir = " DESC"
	}
	if q.SortBy == nil {
		return " ORDER BY " + idCol + dir, nil
	}
	f := *q.SortBy
	var x string
	switch {
	case len(f.Path) > 0 && !s.groups:
		x = lower(s.t.d.JSON.Text("m.profile", f.Path))
	default:
		cols := memberColumns
		if s.groups {
			cols = groupColumns
		}
		col, ok := cols[f.Name]
		if !ok {
			return "", &store.InvalidError{Field: "sortBy", Detail: fmt.Sprintf("%s cannot be sorted by", f)}
		}
		x = col.expr
		if col.kind == kindText || col.kind == kindNoCase {
			x = lower(x)
		}
	}
	return " ORDER BY " + x + dir + ", " + idCol + dir, nil
}
