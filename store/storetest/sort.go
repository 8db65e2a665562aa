package storetest

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/idbridge/idbridge/store"
)

// sortedMembers makes an org whose members differ, and tie, in every sort
// column: names and emails in mixed case, each status, each subscription,
// both user types, sign-ins at different times and none.
func (e *env) sortedMembers() (tenant, []store.Member, map[string]time.Time) {
	tn := e.tenant()
	other := e.tenant()
	tag := rnd()
	c := e.connection(tn, true)
	mk := func(given, family, local string, opts ...func(*store.NewMember)) store.Member {
		in := append([]func(*store.NewMember){func(n *store.NewMember) {
			n.GivenName, n.FamilyName, n.Email = given, family, local+"-"+tag+"@sort-"+tag+".example.com"
		}}, opts...)
		return e.member(tn.ID, in...)
	}
	sub := func(s store.Subscription) func(*store.NewMember) {
		return func(n *store.NewMember) { n.Subscription = s }
	}
	ms := []store.Member{
		mk("bea", "Stone", "Zed"),
		mk("Bea", "stone", "ann", func(n *store.NewMember) { n.Invite = true }),
		mk("Al", "Zorn", "mia", sub(store.SubscriptionProfessional), func(n *store.NewMember) { n.Disabled = true }),
		mk("Cy", "Ames", "Bob", sub(store.SubscriptionSupervision)),
		mk("Cy", "Ames", "bob2", sub(store.SubscriptionContributor), func(n *store.NewMember) { n.Invite = true }),
		mk("dee", "", "Carl", sub(store.SubscriptionContributor)),
		mk("Eve", "Ng", "eve", func(n *store.NewMember) { n.UserType = store.UserTypeSystemAdmin }),
	}
	ms = append(ms, tn.Admin)
	signedIn := map[string]time.Time{}
	for _, i := range []int{3, 0, 5, 3, 7} {
		e.clock.Advance(time.Minute)
		acc := must(e.s.RecordSSOSignIn(e.ctx, tn.ID, ms[i].Account.ID, c.ID))(e)
		ms[i].Account = acc
		signedIn[acc.ID] = e.clock.Now().UTC().Truncate(time.Microsecond)
	}
	// Another org's members and sign-ins never count.
	e.member(other.ID, func(n *store.NewMember) { n.GivenName = "Aaron" })
	return tn, ms, signedIn
}

// sortKeyOf is the sort key a backend computes, for ASCII names.
func sortKeyOf(s store.MemberSort, m store.Member, signedIn map[string]time.Time) string {
	switch s {
	case store.SortByName:
		return strings.ToLower(m.Account.GivenName + " " + m.Account.FamilyName)
	case store.SortByEmail:
		return strings.ToLower(m.Account.Email)
	case store.SortByStatus:
		return map[store.Status]string{store.StatusActive: "a", store.StatusPending: "b", store.StatusInactive: "c", store.StatusDisabled: "d"}[m.Status()]
	case store.SortByUserType:
		return string(m.Membership.UserType)
	case store.SortBySubscription:
		return map[store.Subscription]string{store.SubscriptionNone: "a", store.SubscriptionContributor: "b",
			store.SubscriptionProfessional: "c", store.SubscriptionSupervision: "d"}[m.Membership.Subscription]
	case store.SortByLastSignIn:
		return signedIn[m.Account.ID].Format("2006-01-02T15:04:05.000000")
	}
	return ""
}

// pages reads every page of a sorted list, limit rows at a time.
func (e *env) pages(orgID string, q store.MemberQuery, limit int) ([]string, []int) {
	e.Helper()
	q.Limit = limit
	var got []string
	var totals []int
	cursor := ""
	for range 100 {
		p, err := e.s.ListMembersPage(e.ctx, orgID, q, cursor)
		e.ok(err, "ListMembersPage")
		if len(p.Members) > limit || (p.Next != "" && len(p.Members) != limit) {
			e.Errorf("page of %d members with next %q, limit %d", len(p.Members), p.Next, limit)
		}
		got = append(got, ids(p.Members)...)
		totals = append(totals, p.Total)
		if cursor = p.Next; cursor == "" {
			return got, totals
		}
	}
	e.Fatalf("more than 100 pages")
	return nil, nil
}

func testListSortAndCursor(e *env) {
	tn, ms, signedIn := e.sortedMembers()
	for _, s := range append([]store.MemberSort{store.SortByID}, store.MemberSorts...) {
		for _, desc := range []bool{false, true} {
			want := slices.Clone(ms)
			slices.SortFunc(want, func(a, b store.Member) int {
				c := cmp.Or(strings.Compare(sortKeyOf(s, a, signedIn), sortKeyOf(s, b, signedIn)), strings.Compare(a.Account.ID, b.Account.ID))
				if desc {
					return -c
				}
				return c
			})
			for _, limit := range []int{1, 3, len(ms), 50} {
				got, totals := e.pages(tn.ID, store.MemberQuery{Sort: s, Desc: desc}, limit)
				if !slices.Equal(got, ids(want)) {
					e.Errorf("sort %q desc=%v, %d a page:\n got %v\nwant %v", s, desc, limit, got, ids(want))
				}
				for _, total := range totals {
					if total != len(ms) {
						e.Errorf("sort %q: a page says total %d, want %d", s, total, len(ms))
					}
				}
			}
		}
	}
	// Filters and search apply across the pages, the total is of the matches.
	q := store.MemberQuery{Sort: store.SortByName, Subscription: []store.Subscription{store.SubscriptionContributor, store.SubscriptionSupervision}}
	got, totals := e.pages(tn.ID, q, 1)
	if want := []string{ms[3].Account.ID, ms[4].Account.ID}; len(got) != 3 || totals[0] != 3 || !slices.Equal(got[2:], []string{ms[5].Account.ID}) ||
		!slices.Equal(slices.Sorted(slices.Values(got[:2])), slices.Sorted(slices.Values(want))) {
		e.Errorf("filtered sort = %v (totals %v)", got, totals)
	}
}

func testListCursorStable(e *env) {
	tn, ms, _ := e.sortedMembers()
	q := store.MemberQuery{Sort: store.SortByEmail, Limit: 3}
	first, err := e.s.ListMembersPage(e.ctx, tn.ID, q, "")
	e.ok(err, "first page")
	// A member added before the cursor's position, and one removed from the
	// first page, do not shift the pages that follow (unlike an offset).
	e.member(tn.ID, withEmail("aaa-"+rnd()+"@sort.example.com"))
	e.ok(e.s.RemoveMember(e.ctx, tn.Actor, tn.ID, first.Members[0].Account.ID), "remove")
	rest, _ := e.pagesFrom(tn.ID, q, first.Next)
	seen := append(ids(first.Members), rest...)
	slices.Sort(seen)
	want := ids(ms)
	slices.Sort(want)
	if !slices.Equal(seen, want) {
		e.Errorf("pages across changes = %v, want every original member once %v", seen, want)
	}

	for name, c := range map[string]string{"garbage": "not a cursor!", "base64 of nothing": "e30", "bad id": "eyJzIjoiZW1haWwiLCJpIjoieCJ9"} {
		_, err := e.s.ListMembersPage(e.ctx, tn.ID, q, c)
		e.wantInvalid(err, "cursor "+name)
	}
	// A cursor continues only the sort and order it came from.
	_, err = e.s.ListMembersPage(e.ctx, tn.ID, store.MemberQuery{Sort: store.SortByName, Limit: 3}, first.Next)
	e.wantInvalid(err, "cursor of another sort")
	_, err = e.s.ListMembersPage(e.ctx, tn.ID, store.MemberQuery{Sort: store.SortByEmail, Desc: true, Limit: 3}, first.Next)
	e.wantInvalid(err, "cursor of another order")
	_, err = e.s.ListMembersPage(e.ctx, tn.ID, store.MemberQuery{Sort: "age"}, "")
	e.wantInvalid(err, "unknown sort")
	// Another org's list with this org's cursor shows only that org's members.
	other := e.tenant()
	p, err := e.s.ListMembersPage(e.ctx, other.ID, q, first.Next)
	e.ok(err, "other org with a cursor")
	for _, m := range p.Members {
		if m.Membership.OrgID != other.ID {
			e.Errorf("another org's page lists %s of org %s", m.Account.ID, m.Membership.OrgID)
		}
	}
}

// pagesFrom reads the pages that follow cursor.
func (e *env) pagesFrom(orgID string, q store.MemberQuery, cursor string) ([]string, int) {
	e.Helper()
	var got []string
	n := 0
	for cursor != "" && n < 100 {
		p, err := e.s.ListMembersPage(e.ctx, orgID, q, cursor)
		e.ok(err, "ListMembersPage")
		got = append(got, ids(p.Members)...)
		cursor = p.Next
		n++
	}
	return got, n
}

func testMemberExtras(e *env) {
	tn, ms, signedIn := e.sortedMembers()
	other := e.tenant()
	a := ms[0].Account.ID
	for _, name := range []string{"zeta", "Alpha"} {
		must(e.s.CreateGroup(e.ctx, tn.Actor, tn.ID, store.NewGroup{DisplayName: name + rnd(),
			Members: []store.GroupMember{{AccountID: a, Role: store.GroupRoleMember}}}))(e)
	}
	// Another org's groups and sign-ins of the same people never show.
	must(e.s.CreateMember(e.ctx, support, other.ID, store.NewMember{Email: ms[0].Account.Email}))(e)
	must(e.s.CreateGroup(e.ctx, other.Actor, other.ID, store.NewGroup{DisplayName: "Other",
		Members: []store.GroupMember{{AccountID: a, Role: store.GroupRoleMember}}}))(e)
	c := e.connection(other, true)
	e.clock.Advance(time.Hour)
	must(e.s.RecordSSOSignIn(e.ctx, other.ID, a, c.ID))(e)

	x := must(e.s.GetMemberExtras(e.ctx, tn.ID, append(ids(ms), "not-an-id")))(e)
	if g := x.Groups[a]; len(g) != 2 || !strings.HasPrefix(g[0], "Alpha") || !strings.HasPrefix(g[1], "zeta") || len(x.Groups) != 1 {
		e.Errorf("groups = %v, want Alpha…, zeta… of the first member only", x.Groups)
	}
	if len(x.LastSignIn) != len(signedIn) {
		e.Errorf("last sign-ins = %v, want %v", x.LastSignIn, signedIn)
	}
	for id, at := range signedIn {
		if !x.LastSignIn[id].Equal(at) {
			e.Errorf("last sign-in of %s = %v, want %v", id, x.LastSignIn[id], at)
		}
	}
	if x := must(e.s.GetMemberExtras(e.ctx, other.ID, ids(ms)))(e); len(x.Groups[a]) != 1 || len(x.LastSignIn) != 1 {
		e.Errorf("the other org's extras = %+v, want its own group and sign-in", x)
	}
}
