package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/idbridge/idbridge/store"
)

// scimTests cover the SCIM storage: filters on members and groups become SQL
// (every operator, and/or/not, value filters, profile paths, escaping),
// sorting and stable paging, userName unique per org, and isolation.
var scimTests = []test{
	{name: "scim/filters", fn: testSCIMFilters},
	{name: "scim/user_name_unique", fn: testSCIMUserName},
	{name: "scim/paging", fn: testSCIMPaging},
	{name: "scim/groups", fn: testSCIMGroups},
	{name: "scim/members_by_group", fn: testSCIMMembersByGroup},
	{name: "scim/password", fn: testSCIMPassword},
	{name: "scim/user_name_race", fn: testSCIMUserNameRace},
}

// scimMember adds a member the way the SCIM endpoint does: with a profile.
func (e *env) scimMember(orgID, userName, ext string, profile map[string]any) store.Member {
	e.Helper()
	profile["userName"] = userName
	p, _ := json.Marshal(profile)
	return must(e.s.CreateMember(e.ctx, support, orgID, store.NewMember{Email: email("s"), ExternalID: ext, Profile: p}))(e)
}

func (e *env) searchIDs(orgID string, q store.Query) []string {
	e.Helper()
	ms, total, err := e.s.SearchMembers(e.ctx, orgID, q)
	e.ok(err, "search members")
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.Account.ID)
	}
	if q.Offset == 0 && len(ms) < q.Limit && total != len(ms) {
		e.Errorf("total %d for a first page of %d", total, len(ms))
	}
	return ids
}

func eq(f store.Field, v any) store.Compare { return store.Compare{Field: f, Op: store.OpEq, Value: v} }

func testSCIMFilters(e *env) {
	tn, other := e.tenant(), e.tenant()
	ext := "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	a := e.scimMember(tn.ID, "Ana_1%@x.test", "ext-a", map[string]any{
		"name":   map[string]any{"givenName": "Ana", "familyName": "Lopez"},
		"emails": []any{map[string]any{"type": "work", "value": "ana@x.test"}, map[string]any{"type": "home", "value": "a@home.test"}},
		ext:      map[string]any{"department": "Sales", "manager": map[string]any{"value": "m1"}},
		"title":  "CTO", "active": true,
	})
	b := e.scimMember(tn.ID, "bob@x.test", "ext-b", map[string]any{"name": map[string]any{"givenName": "Bob"},
		"emails": []any{map[string]any{"type": "home", "value": "bob@x.test"}}, ext: map[string]any{"department": "IT"}})
	plain := e.member(tn.ID)                                           // no profile: userName is the email
	e.scimMember(other.ID, "Ana_1%@x.test", "ext-a", map[string]any{}) // another org's: never found
	_ = must(e.s.UpdateMember(e.ctx, support, tn.ID, b.Account.ID, store.MemberUpdate{MembershipChange: store.MembershipChange{Disabled: ptr(true)}}))(e)

	un := store.Named(store.FieldUserName)
	work := store.Any{Path: []string{"emails"}, Where: eq(store.ProfilePath("type"), "work")}
	e.wantFilters(func(f store.Filter) []string { return e.searchIDs(tn.ID, store.Query{Filter: f, Limit: 100}) }, []filterCase{
		{"userName eq, any case", eq(un, "ana_1%@X.test"), []string{a.Account.ID}},
		{"userName eq of a member without profile", eq(un, plain.Account.Email), []string{plain.Account.ID}},
		{"userName eq case-exact", store.Compare{Field: un, Op: store.OpEq, Value: "ana_1%@x.test", CaseExact: true}, nil},
		{"externalId", store.Compare{Field: store.Named(store.FieldExternalID), Op: store.OpEq, Value: "ext-b", CaseExact: true}, []string{b.Account.ID}},
		{"externalId sw case-exact", store.Compare{Field: store.Named(store.FieldExternalID), Op: store.OpStartsWith, Value: "EXT", CaseExact: true}, nil},
		{"externalId co case-exact", store.Compare{Field: store.Named(store.FieldExternalID), Op: store.OpContains, Value: "t-b", CaseExact: true}, []string{b.Account.ID}},
		{"id", eq(store.Named(store.FieldID), a.Account.ID), []string{a.Account.ID}},
		{"malformed id", eq(store.Named(store.FieldID), "nope"), nil},
		{"disabled", eq(store.Named(store.FieldDisabled), true), []string{b.Account.ID}},
		{"co escapes %", store.Compare{Field: un, Op: store.OpContains, Value: "1%"}, []string{a.Account.ID}},
		{"co escapes _", store.Compare{Field: un, Op: store.OpContains, Value: "a_"}, []string{a.Account.ID}},
		{"co _ is no wildcard", store.Compare{Field: un, Op: store.OpContains, Value: "n_"}, nil},
		{"sw", store.Compare{Field: un, Op: store.OpStartsWith, Value: "BOB"}, []string{b.Account.ID}},
		{"ew backslash", store.Compare{Field: un, Op: store.OpEndsWith, Value: `\`}, nil},
		{"ne", store.Compare{Field: store.ProfilePath("title"), Op: store.OpNe, Value: "cto"}, sorted(b.Account.ID, plain.Account.ID, tn.Admin.Account.ID)},
		{"pr", store.Compare{Field: store.ProfilePath("title"), Op: store.OpPresent}, []string{a.Account.ID}},
		{"gt", store.Compare{Field: store.ProfilePath("name", "givenName"), Op: store.OpGt, Value: "ana"}, []string{b.Account.ID}},
		{"le", store.Compare{Field: store.ProfilePath("name", "givenName"), Op: store.OpLe, Value: "ANA"}, []string{a.Account.ID}},
		{"bool in profile", eq(store.ProfilePath("active"), true), []string{a.Account.ID}},
		{"extension", eq(store.ProfilePath(ext, "department"), "sales"), []string{a.Account.ID}},
		{"extension sub", eq(store.ProfilePath(ext, "manager", "value"), "m1"), []string{a.Account.ID}},
		{"emails[type eq work and value eq]", store.Any{Path: []string{"emails"}, Where: store.And{Left: eq(store.ProfilePath("type"), "work"), Right: eq(store.ProfilePath("value"), "ANA@x.test")}}, []string{a.Account.ID}},
		{"emails.value", store.Any{Path: []string{"emails"}, Where: eq(store.ProfilePath("value"), "bob@x.test")}, []string{b.Account.ID}},
		{"or", store.Or{Left: eq(un, "bob@x.test"), Right: eq(store.ProfilePath(ext, "department"), "Sales")}, sorted(a.Account.ID, b.Account.ID)},
		{"not", store.Not{Filter: work}, sorted(b.Account.ID, plain.Account.ID, tn.Admin.Account.ID)},
		{"created", store.Compare{Field: store.Named(store.FieldCreatedAt), Op: store.OpLt, Value: time.Now().Add(100 * 365 * 24 * time.Hour)}, sorted(a.Account.ID, b.Account.ID, plain.Account.ID, tn.Admin.Account.ID)},
		{"injection stays a value", eq(un, "x' OR '1'='1"), nil},
	})
	// Refused: unknown fields, bad paths, wrong value types.
	for _, f := range []store.Filter{
		store.Compare{},
		eq(store.Named("password_hash"), "x"),
		eq(store.ProfilePath("a'b"), "x"),
		store.Compare{Field: store.Named(store.FieldDisabled), Op: store.OpContains, Value: "x"},
		store.Any{Path: []string{"emails"}, Where: store.Any{Path: []string{"x"}}},
	} {
		_, _, err := e.s.SearchMembers(e.ctx, tn.ID, store.Query{Filter: f})
		e.wantIs(err, store.ErrInvalid, fmt.Sprintf("filter %#v", f))
	}
}

// filterCase is a filter and the ids it must find, in any order.
type filterCase struct {
	name string
	f    store.Filter
	want []string
}

// wantFilters runs each case through search and compares the ids found.
func (e *env) wantFilters(search func(store.Filter) []string, cases []filterCase) {
	e.Helper()
	for _, tc := range cases {
		got := search(tc.f)
		slices.Sort(got)
		want := slices.Sorted(slices.Values(tc.want))
		if !slices.Equal(got, want) {
			e.Errorf("%s: got %v, want %v", tc.name, got, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

func testSCIMUserName(e *env) {
	tn, other := e.tenant(), e.tenant()
	e.scimMember(tn.ID, "Jdoe", "", map[string]any{})
	p, _ := json.Marshal(map[string]any{"userName": "JDOE"})
	_, err := e.s.CreateMember(e.ctx, support, tn.ID, store.NewMember{Email: email("j"), Profile: p})
	var ce *store.ConflictError
	if !errors.As(err, &ce) || ce.Field != "user_name" {
		e.Errorf("second JDOE in an org: got %v, want a conflict on user_name", err)
	}
	// Another org may use it.
	e.scimMember(other.ID, "jdoe", "", map[string]any{})

	// userName is the profile's, else the email: it follows both.
	un := store.Named(store.FieldUserName)
	find := func(v string) []string {
		return e.searchIDs(tn.ID, store.Query{Filter: store.Compare{Field: un, Op: store.OpEq, Value: v}, Limit: 10})
	}
	plain := e.member(tn.ID)
	newEmail := email("renamed")
	must(e.s.ChangeEmail(e.ctx, support, tn.ID, plain.Account.ID, newEmail))(e)
	if got := find(newEmail); !slices.Equal(got, []string{plain.Account.ID}) {
		e.Errorf("userName eq the new email of a member without profile: %v", got)
	}
	if got := find(plain.Account.Email); got != nil {
		e.Errorf("userName eq the old email: %v, want nobody", got)
	}
	idp := json.RawMessage(`{"userName": "given-by-idp"}`)
	must(e.s.UpdateMember(e.ctx, support, tn.ID, plain.Account.ID, store.MemberUpdate{Profile: &idp}))(e)
	if got := find("GIVEN-by-idp"); !slices.Equal(got, []string{plain.Account.ID}) {
		e.Errorf("userName eq a userName set later: %v", got)
	}
	if got := find(newEmail); got != nil {
		e.Errorf("userName eq the email once the IdP gave a userName: %v, want nobody", got)
	}
}

func testSCIMPaging(e *env) {
	tn := e.tenant()
	for i := range 9 {
		e.scimMember(tn.ID, fmt.Sprintf("u%d", (i*4)%9), "", map[string]any{})
	}
	sortBy := store.Named(store.FieldUserName)
	filter := store.Compare{Field: sortBy, Op: store.OpStartsWith, Value: "u"}
	var got []string
	for off := 0; off < 9; off += 4 {
		ms, total, err := e.s.SearchMembers(e.ctx, tn.ID, store.Query{Filter: filter, SortBy: &sortBy, Descending: true, Offset: off, Limit: 4})
		e.ok(err, "page")
		if total != 9 {
			e.Errorf("total %d, want 9", total)
		}
		for _, m := range ms {
			var p map[string]any
			_ = json.Unmarshal(m.Membership.Profile, &p)
			got = append(got, p["userName"].(string))
		}
	}
	if want := []string{"u8", "u7", "u6", "u5", "u4", "u3", "u2", "u1", "u0"}; !slices.Equal(got, want) {
		e.Errorf("pages %v, want %v", got, want)
	}
	_, total, err := e.s.SearchMembers(e.ctx, tn.ID, store.Query{Filter: filter, CountOnly: true})
	if err != nil || total != 9 {
		e.Errorf("count only: %d, %v", total, err)
	}
}

// testSCIMMembersByGroup: SCIM's User "groups" filter (store.InGroup), in
// this org's groups only.
func testSCIMMembersByGroup(e *env) {
	tn, other := e.tenant(), e.tenant()
	a, b := e.member(tn.ID), e.member(tn.ID)
	g := must(e.s.CreateGroup(e.ctx, support, tn.ID, store.NewGroup{DisplayName: "Sales_EU", Members: []store.GroupMember{{AccountID: a.Account.ID}}}))(e)
	must(e.s.CreateGroup(e.ctx, support, other.ID, store.NewGroup{DisplayName: "Sales-US"}))(e)
	dn := store.Named(store.FieldDisplayName)
	e.wantFilters(func(f store.Filter) []string { return e.searchIDs(tn.ID, store.Query{Filter: f, Limit: 100}) }, []filterCase{
		{"by id", store.InGroup{Where: eq(store.Named(store.FieldID), g.ID)}, []string{a.Account.ID}},
		{"by name, any case", store.InGroup{Where: eq(dn, "sales_eu")}, []string{a.Account.ID}},
		{"another org's group", store.InGroup{Where: store.Compare{Field: dn, Op: store.OpEndsWith, Value: "-us"}}, nil},
		{"in any group", store.InGroup{}, []string{a.Account.ID}},
		{"in none", store.And{Left: store.Not{Filter: store.InGroup{}}, Right: eq(store.Named(store.FieldID), b.Account.ID)}, []string{b.Account.ID}},
	})
	for _, f := range []store.Filter{
		store.InGroup{Where: eq(store.Named(store.FieldEmail), "x")}, // a member field
		store.InGroup{Where: store.InGroup{}},                        // nested
		store.Any{Path: []string{"emails"}, Where: store.InGroup{}},  // in a value filter
	} {
		_, _, err := e.s.SearchMembers(e.ctx, tn.ID, store.Query{Filter: f})
		e.wantIs(err, store.ErrInvalid, fmt.Sprintf("filter %#v", f))
	}
	_, _, err := e.s.SearchGroups(e.ctx, tn.ID, store.Query{Filter: store.InGroup{}})
	e.wantIs(err, store.ErrInvalid, "InGroup on groups")
}

func testSCIMGroups(e *env) {
	tn, other := e.tenant(), e.tenant()
	m := e.member(tn.ID)
	g1 := must(e.s.CreateGroup(e.ctx, support, tn.ID, store.NewGroup{DisplayName: "Sales_EU", ExternalID: "G1", Members: []store.GroupMember{{AccountID: m.Account.ID}}}))(e)
	g2 := must(e.s.CreateGroup(e.ctx, support, tn.ID, store.NewGroup{DisplayName: "Sales-US"}))(e)
	must(e.s.CreateGroup(e.ctx, support, other.ID, store.NewGroup{DisplayName: "Sales_EU"}))(e)
	dn := store.Named(store.FieldDisplayName)
	e.wantFilters(func(f store.Filter) []string {
		gs, _, err := e.s.SearchGroups(e.ctx, tn.ID, store.Query{Filter: f, Limit: 10})
		e.ok(err, "search groups")
		var ids []string
		for _, g := range gs {
			ids = append(ids, g.ID)
		}
		return ids
	}, []filterCase{
		{"displayName eq", eq(dn, "sales_eu"), []string{g1.ID}},
		{"sw escapes _", store.Compare{Field: dn, Op: store.OpStartsWith, Value: "sales_"}, []string{g1.ID}},
		{"member", eq(store.Named(store.FieldMember), m.Account.ID), []string{g1.ID}},
		{"not member", store.Compare{Field: store.Named(store.FieldMember), Op: store.OpNe, Value: m.Account.ID}, []string{g2.ID}},
		{"externalId", store.Compare{Field: store.Named(store.FieldExternalID), Op: store.OpEq, Value: "G1", CaseExact: true}, []string{g1.ID}},
	})
	_, _, err := e.s.SearchGroups(e.ctx, tn.ID, store.Query{Filter: eq(store.ProfilePath("x"), "y")})
	e.wantIs(err, store.ErrInvalid, "a profile path on groups")
}

// testSCIMPassword: an IdP's password applies only without SSO and only to
// accounts whose orgs all belong to the IdP's company.
func testSCIMPassword(e *env) {
	tn, sso, foreign := e.tenant(), e.tenant(), e.tenant()
	actor, _ := e.scim(tn)
	m := e.member(tn.ID)
	setPassword := func(actor store.Actor, orgID, accountID, password string) error {
		return e.s.UpdateSCIMUser(e.ctx, actor, orgID, accountID, store.SCIMUserChange{Password: password})
	}
	signsIn := func(orgID, email, password string) bool {
		_, err := e.s.PasswordSignIn(e.ctx, orgID, email, password)
		return err == nil
	}
	e.ok(setPassword(actor, tn.ID, m.Account.ID, "idp-password-123"), "set")
	if !signsIn(tn.ID, m.Account.Email, "idp-password-123") {
		e.Errorf("cannot sign in with the IdP's password")
	}
	e.wantNotFound(setPassword(actor, foreign.ID, m.Account.ID, "idp-password-123"), "a token used on another org")

	// The account joins another company's org: the IdP's password is gone,
	// and the IdP can no longer set one.
	must(e.s.CreateMember(e.ctx, support, foreign.ID, store.NewMember{Email: m.Account.Email}))(e)
	e.ok(setPassword(actor, tn.ID, m.Account.ID, "other-password-456"), "set when shared with another company")
	if signsIn(tn.ID, m.Account.Email, "other-password-456") || signsIn(tn.ID, m.Account.Email, "idp-password-123") {
		e.Errorf("shared with another company: a password the IdP set still signs in")
	}
	// The org signs in through SSO: nothing changes.
	sActor, _ := e.scim(sso)
	s := e.member(sso.ID)
	e.ok(setPassword(sActor, sso.ID, s.Account.ID, "sso-password-789"), "set in an SSO org")
	e.enableSSO(sso)
	e.ok(setPassword(sActor, sso.ID, s.Account.ID, "sso-password-000"), "set in an SSO org")
	must(e.s.DisableSSO(e.ctx, sso.Actor, sso.ID))(e)
	if signsIn(sso.ID, s.Account.Email, "sso-password-000") || !signsIn(sso.ID, s.Account.Email, "sso-password-789") {
		e.Errorf("SSO org: the IdP changed the password")
	}
	// Another org's token: not found.
	e.wantNotFound(setPassword(sActor, sso.ID, m.Account.ID, "x-password-000"), "another org's member")
}

// testSCIMUserNameRace: two creates of one userName at once leave one winner.
func testSCIMUserNameRace(e *env) {
	tn := e.tenant()
	p, _ := json.Marshal(map[string]any{"userName": "racer"})
	create := func() error {
		_, err := e.s.CreateMember(e.ctx, support, tn.ID, store.NewMember{Email: email("r"), Profile: p})
		return err
	}
	errs := race(create, create, create)
	wins := 0
	for _, err := range errs {
		var ce *store.ConflictError
		switch {
		case err == nil:
			wins++
		case !errors.As(err, &ce) || ce.Field != "user_name":
			e.Errorf("loser: got %v, want a conflict on user_name", err)
		}
	}
	un := store.Named(store.FieldUserName)
	if got := e.searchIDs(tn.ID, store.Query{Filter: eq(un, "RACER"), Limit: 10}); wins != 1 || len(got) != 1 {
		e.Errorf("%d winners, %d found; want 1 and 1", wins, len(got))
	}
}
