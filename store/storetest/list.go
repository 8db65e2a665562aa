package storetest

import (
	"slices"
	"strings"

	"github.com/idbridge/idbridge/store"
)

var listTests = []test{
	{name: "list_paging", fn: testListPaging},
	{name: "list_search", fn: testListSearch},
	{name: "list_filters", fn: testListFilters},
	{name: "list_sort_cursor", fn: testListSortAndCursor},
	{name: "list_cursor_stable", fn: testListCursorStable},
	{name: "member_extras", fn: testMemberExtras},
}

// list returns one page of an org's members and the total.
func (e *env) list(orgID string, q store.MemberQuery) ([]store.Member, int) {
	e.Helper()
	ms, total, err := e.s.ListMembers(e.ctx, orgID, q)
	e.ok(err, "ListMembers")
	return ms, total
}

func ids(ms []store.Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Account.ID
	}
	return out
}

func testListPaging(e *env) {
	tn := e.tenant()
	other := e.tenant()
	want := []string{tn.Admin.Account.ID}
	for range 7 {
		want = append(want, e.member(tn.ID).Account.ID)
	}
	e.member(other.ID)
	slices.Sort(want)
	var got []string
	for off := 0; off < 12; off += 3 {
		page, total := e.list(tn.ID, store.MemberQuery{Offset: off, Limit: 3})
		if total != len(want) {
			e.Errorf("page at %d: total = %d, want %d", off, total, len(want))
		}
		if wantLen := min(3, max(len(want)-off, 0)); len(page) != wantLen {
			e.Errorf("page at %d has %d members, want %d", off, len(page), wantLen)
		}
		got = append(got, ids(page)...)
	}
	if !slices.Equal(got, want) {
		e.Errorf("pages =\n %v\nwant (ordered by account id)\n %v", got, want)
	}
	// The same page twice is the same page (a stable order).
	a, _ := e.list(tn.ID, store.MemberQuery{Offset: 2, Limit: 4})
	b, _ := e.list(tn.ID, store.MemberQuery{Offset: 2, Limit: 4})
	if !slices.Equal(ids(a), ids(b)) || !slices.Equal(ids(a), want[2:6]) {
		e.Errorf("page [2,6) = %v then %v, want %v", ids(a), ids(b), want[2:6])
	}
	all, total := e.list(tn.ID, store.MemberQuery{})
	if total != len(want) || !slices.Equal(ids(all), want) {
		e.Errorf("default page = %d of %d, want all %d", len(all), total, len(want))
	}
	for _, m := range all {
		if m.Membership.OrgID != tn.ID || m.Membership.AccountID != m.Account.ID || m.Account.Email == "" {
			e.Errorf("listed member %+v is not a full member of the org", m)
		}
	}
	if big, _ := e.list(tn.ID, store.MemberQuery{Limit: 1 << 20, Offset: -5}); len(big) != len(want) {
		e.Errorf("huge limit, negative offset: %d members, want %d", len(big), len(want))
	}
	if _, total := e.list(other.ID, store.MemberQuery{}); total != 2 {
		e.Errorf("other org total = %d, want its own 2", total)
	}
}

func testListSearch(e *env) {
	tn := e.tenant()
	other := e.tenant()
	tag := rnd()
	named := func(given, family string) store.Member {
		return e.member(tn.ID, func(n *store.NewMember) { n.GivenName, n.FamilyName = given, family })
	}
	ann := named("Ann", "Lee"+tag)
	percent := named("Fifty", "50%off"+tag)
	noPercent := named("Fifty", "50xoff"+tag)
	under := named("Under", "a_b"+tag)
	noUnder := named("Under", "axb"+tag)
	mailed := e.member(tn.ID, withEmail("Mail.Box-"+tag+"@Search-"+tag+".example.com"))
	// The same names in another org are never returned.
	e.member(other.ID, func(n *store.NewMember) { n.GivenName, n.FamilyName = "Ann", "Lee"+tag })
	cases := []struct {
		search string
		want   []store.Member
	}{
		{search: "lee" + tag, want: []store.Member{ann}},
		{search: "ANN LEE" + strings.ToUpper(tag), want: []store.Member{ann}},
		{search: "  ann lee" + tag + "  ", want: []store.Member{ann}},
		{search: "mail.box-" + tag, want: []store.Member{mailed}},
		{search: "SEARCH-" + strings.ToUpper(tag) + ".EXAMPLE", want: []store.Member{mailed}},
		{search: "50%off" + tag, want: []store.Member{percent}},
		{search: "%off" + tag, want: []store.Member{percent}},
		{search: "a_b" + tag, want: []store.Member{under}},
		{search: "_b" + tag, want: []store.Member{under}},
		{search: "off" + tag, want: []store.Member{percent, noPercent}},
		{search: "b" + tag, want: []store.Member{under, noUnder}},
		{search: "%", want: []store.Member{percent}},
		{search: "_", want: []store.Member{under}},
		{search: `\`, want: nil},
		{search: "nobody-" + rnd(), want: nil},
	}
	for _, tc := range cases {
		got, total := e.list(tn.ID, store.MemberQuery{Search: tc.search})
		want := ids(tc.want)
		slices.Sort(want)
		if !slices.Equal(ids(got), want) || total != len(want) {
			e.Errorf("search %q = %v (total %d), want %v", tc.search, ids(got), total, want)
		}
	}
	if got, total := e.list(other.ID, store.MemberQuery{Search: "mail.box-" + tag}); len(got) != 0 || total != 0 {
		e.Errorf("another org's search found this org's member")
	}
	// Search and paging together.
	page, total := e.list(tn.ID, store.MemberQuery{Search: "fifty", Limit: 1, Offset: 1})
	if total != 2 || len(page) != 1 {
		e.Errorf("search with paging: %d of %d, want 1 of 2", len(page), total)
	}
}

func testListFilters(e *env) {
	tn := e.tenant()
	other := e.tenant()
	tag := rnd()
	mk := func(opts ...func(*store.NewMember)) string {
		return e.member(tn.ID, append(opts, func(n *store.NewMember) { n.FamilyName = "Filter" + tag })...).Account.ID
	}
	inactive := mk()
	pending := mk(func(n *store.NewMember) { n.Invite = true })
	disabled := mk(func(n *store.NewMember) { n.Disabled = true })
	pro := mk(func(n *store.NewMember) { n.Subscription = store.SubscriptionProfessional })
	admin := mk(func(n *store.NewMember) {
		n.UserType, n.Subscription, n.ReportsRole = store.UserTypeSystemAdmin, store.SubscriptionSupervision, store.ReportsEditor
	})
	c := e.connection(tn, true)
	active := mk(func(n *store.NewMember) { n.Subscription = store.SubscriptionContributor })
	must(e.s.RecordSSOSignIn(e.ctx, tn.ID, active, c.ID))(e)
	// Another org's members never show up, whatever the filter.
	e.member(other.ID, func(n *store.NewMember) {
		n.FamilyName = "Filter" + tag
		n.Subscription = store.SubscriptionProfessional
	})

	cases := []struct {
		name string
		q    store.MemberQuery
		want []string
	}{
		{name: "inactive", q: store.MemberQuery{Statuses: []store.Status{store.StatusInactive}}, want: []string{inactive, pro, admin}},
		{name: "pending", q: store.MemberQuery{Statuses: []store.Status{store.StatusPending}}, want: []string{pending}},
		{name: "active", q: store.MemberQuery{Statuses: []store.Status{store.StatusActive}}, want: []string{active}},
		{name: "disabled", q: store.MemberQuery{Statuses: []store.Status{store.StatusDisabled}}, want: []string{disabled}},
		{name: "pending or disabled", q: store.MemberQuery{Statuses: []store.Status{store.StatusPending, store.StatusDisabled}}, want: []string{pending, disabled}},
		{name: "system admins", q: store.MemberQuery{UserTypes: []store.UserType{store.UserTypeSystemAdmin}}, want: []string{admin}},
		{name: "users", q: store.MemberQuery{UserTypes: []store.UserType{store.UserTypeUser}}, want: []string{inactive, pending, disabled, pro, active}},
		{name: "professional", q: store.MemberQuery{Subscription: []store.Subscription{store.SubscriptionProfessional}}, want: []string{pro}},
		{name: "none", q: store.MemberQuery{Subscription: []store.Subscription{store.SubscriptionNone}}, want: []string{inactive, pending, disabled}},
		{name: "professional or supervision", q: store.MemberQuery{Subscription: []store.Subscription{store.SubscriptionProfessional, store.SubscriptionSupervision}}, want: []string{pro, admin}},
		{name: "inactive users on none", q: store.MemberQuery{Statuses: []store.Status{store.StatusInactive}, UserTypes: []store.UserType{store.UserTypeUser},
			Subscription: []store.Subscription{store.SubscriptionNone}}, want: []string{inactive}},
		{name: "no match", q: store.MemberQuery{Statuses: []store.Status{store.StatusActive}, Subscription: []store.Subscription{store.SubscriptionNone}}},
	}
	for _, tc := range cases {
		tc.q.Search = "filter" + tag
		got, total := e.list(tn.ID, tc.q)
		slices.Sort(tc.want)
		if !slices.Equal(ids(got), tc.want) || total != len(tc.want) {
			e.Errorf("%s: got %v (total %d), want %v", tc.name, ids(got), total, tc.want)
		}
	}
	// Without the search the admin fixture counts too.
	if _, total := e.list(tn.ID, store.MemberQuery{UserTypes: []store.UserType{store.UserTypeSystemAdmin}}); total != 2 {
		e.Errorf("system admins of the org = %d, want 2", total)
	}
	_, _, err := e.s.ListMembers(e.ctx, tn.ID, store.MemberQuery{Statuses: []store.Status{"deleted"}})
	e.wantInvalid(err, "unknown status filter")
	if got, _ := e.list(other.ID, store.MemberQuery{Search: "filter" + tag}); len(got) != 1 {
		e.Errorf("other org lists %d members, want its 1", len(got))
	}
}
