package storetest

import (
	"slices"
	"strings"

	"github.com/idbridge/idbridge/store"
)

var groupTests = []test{
	{name: "group_crud", fn: testGroupCRUD},
	{name: "group_name_unique_per_org", fn: testGroupNameUnique},
	{name: "group_members_and_isolation", fn: testGroupIsolation},
	{name: "group_paging", fn: testGroupPaging},
}

// groupMembers lists a group's members as "accountID:role", ordered by account id.
func (e *env) groupMembers(orgID, groupID string) []string {
	e.Helper()
	var out []string
	for _, m := range must(e.s.ListGroupMembers(e.ctx, orgID, groupID, "", 0))(e) {
		out = append(out, m.AccountID+":"+string(m.Role))
	}
	return out
}

func roles(pairs ...string) []string {
	out := slices.Clone(pairs)
	slices.Sort(out)
	return out
}

func testGroupCRUD(e *env) {
	tn := e.tenant()
	other := e.tenant()
	a, b, c := e.member(tn.ID).Account.ID, e.member(tn.ID).Account.ID, e.member(tn.ID).Account.ID
	g := must(e.s.CreateGroup(e.ctx, tn.Actor, tn.ID, store.NewGroup{DisplayName: "  Sales " + rnd() + " ", ExternalID: "ext-g",
		Members: []store.GroupMember{{AccountID: a}, {AccountID: b, Role: store.GroupRoleManager}, {AccountID: a}}}))(e)
	if g.ID == "" || g.OrgID != tn.ID || strings.TrimSpace(g.DisplayName) != g.DisplayName || g.ExternalID != "ext-g" {
		e.Errorf("CreateGroup = %+v", g)
	}
	e.same("GetGroup", must(e.s.GetGroup(e.ctx, tn.ID, g.ID))(e), g)
	if got, want := e.groupMembers(tn.ID, g.ID), roles(a+":member", b+":manager"); !slices.Equal(got, want) {
		e.Errorf("members = %v, want %v", got, want)
	}
	// Paging members by account id.
	first := must(e.s.ListGroupMembers(e.ctx, tn.ID, g.ID, "", 1))(e)
	rest := must(e.s.ListGroupMembers(e.ctx, tn.ID, g.ID, first[0].AccountID, 10))(e)
	if len(first) != 1 || len(rest) != 1 || rest[0].AccountID <= first[0].AccountID {
		e.Errorf("member pages = %v then %v", first, rest)
	}

	name := "Renamed " + rnd()
	g = must(e.s.UpdateGroup(e.ctx, tn.Actor, tn.ID, g.ID, store.GroupChange{DisplayName: &name, ExternalID: new("ext-2"),
		AddMembers: []store.GroupMember{{AccountID: c}, {AccountID: a, Role: store.GroupRoleManager}}, RemoveMembers: []string{b, unknownID}}))(e)
	if g.DisplayName != name || g.ExternalID != "ext-2" {
		e.Errorf("UpdateGroup = %+v", g)
	}
	if got, want := e.groupMembers(tn.ID, g.ID), roles(a+":manager", c+":member"); !slices.Equal(got, want) {
		e.Errorf("after add/remove: %v, want %v", got, want)
	}
	g = must(e.s.UpdateGroup(e.ctx, tn.Actor, tn.ID, g.ID, store.GroupChange{ReplaceMembers: &[]store.GroupMember{{AccountID: b}},
		AddMembers: []store.GroupMember{{AccountID: c, Role: store.GroupRoleManager}}}))(e)
	if got, want := e.groupMembers(tn.ID, g.ID), roles(b+":member", c+":manager"); !slices.Equal(got, want) {
		e.Errorf("after replace then add: %v, want %v", got, want)
	}
	must(e.s.UpdateGroup(e.ctx, tn.Actor, tn.ID, g.ID, store.GroupChange{ReplaceMembers: &[]store.GroupMember{}}))(e)
	if got := e.groupMembers(tn.ID, g.ID); len(got) != 0 {
		e.Errorf("after replacing with nobody: %v", got)
	}
	e.same("GetGroup after updates", must(e.s.GetGroup(e.ctx, tn.ID, g.ID))(e), g)

	e.ok(e.s.DeleteGroup(e.ctx, tn.Actor, tn.ID, g.ID), "DeleteGroup")
	_, err := e.s.GetGroup(e.ctx, tn.ID, g.ID)
	e.wantNotFound(err, "GetGroup after delete")
	_, err = e.s.ListGroupMembers(e.ctx, tn.ID, g.ID, "", 0)
	e.wantNotFound(err, "ListGroupMembers after delete")
	e.wantNotFound(e.s.DeleteGroup(e.ctx, tn.Actor, tn.ID, g.ID), "DeleteGroup twice")
	_, err = e.s.UpdateGroup(e.ctx, tn.Actor, tn.ID, g.ID, store.GroupChange{DisplayName: &name})
	e.wantNotFound(err, "UpdateGroup after delete")
	for _, id := range []string{unknownID, "bad-id"} {
		_, err = e.s.GetGroup(e.ctx, tn.ID, id)
		e.wantNotFound(err, "GetGroup("+id+")")
	}
	if got := e.actions(tn.ID); !slices.Equal(got[len(got)-5:], []string{"group.create", "group.update", "group.update", "group.update", "group.delete"}) {
		e.Errorf("group audit = %v", got)
	}
	_, err = e.s.GetGroup(e.ctx, other.ID, g.ID)
	e.wantNotFound(err, "GetGroup through another org")
	_, err = e.s.CreateGroup(e.ctx, tn.Actor, tn.ID, store.NewGroup{DisplayName: "  "})
	e.wantInvalid(err, "a blank group name")
	_, err = e.s.CreateGroup(e.ctx, tn.Actor, tn.ID, store.NewGroup{DisplayName: "Roles " + rnd(), Members: []store.GroupMember{{AccountID: a, Role: "owner"}}})
	e.wantInvalid(err, "an unknown group role")
}

func testGroupNameUnique(e *env) {
	tn := e.tenant()
	other := e.tenant()
	name := "Engineering " + rnd()
	g := must(e.s.CreateGroup(e.ctx, tn.Actor, tn.ID, store.NewGroup{DisplayName: name}))(e)
	before := e.snap([]string{tn.ID})
	for _, variant := range []string{name, strings.ToUpper(name), strings.ToLower(name), " " + name + " "} {
		_, err := e.s.CreateGroup(e.ctx, tn.Actor, tn.ID, store.NewGroup{DisplayName: variant})
		e.wantConflict(err, "group_name", "CreateGroup("+variant+")")
	}
	e.unchanged(before, "duplicate group names")
	if _, total := must3(e.s.ListGroups(e.ctx, tn.ID, store.GroupQuery{}))(e); total != 1 {
		e.Errorf("groups = %d after refused duplicates, want 1", total)
	}
	// Exact-name lookup is case-insensitive too.
	gs, total := must3(e.s.ListGroups(e.ctx, tn.ID, store.GroupQuery{DisplayName: strings.ToUpper(name)}))(e)
	if total != 1 || len(gs) != 1 || gs[0].ID != g.ID {
		e.Errorf("ListGroups(displayName) = %v (%d), want %s", gs, total, g.ID)
	}
	// Another org may use the name; it does not see this org's group.
	og := must(e.s.CreateGroup(e.ctx, other.Actor, other.ID, store.NewGroup{DisplayName: strings.ToLower(name)}))(e)
	gs, _ = must3(e.s.ListGroups(e.ctx, other.ID, store.GroupQuery{DisplayName: name}))(e)
	if len(gs) != 1 || gs[0].ID != og.ID {
		e.Errorf("other org's lookup = %+v, want only its own group", gs)
	}
	// Renaming onto a taken name is a conflict; renaming to the same name in another case is fine.
	h := must(e.s.CreateGroup(e.ctx, tn.Actor, tn.ID, store.NewGroup{DisplayName: "Other " + rnd()}))(e)
	before = e.snap([]string{tn.ID})
	upper := strings.ToUpper(name)
	_, err := e.s.UpdateGroup(e.ctx, tn.Actor, tn.ID, h.ID, store.GroupChange{DisplayName: &upper})
	e.wantConflict(err, "group_name", "renaming onto a taken name")
	e.unchanged(before, "renaming onto a taken name")
	if got := must(e.s.GetGroup(e.ctx, tn.ID, h.ID))(e); got.DisplayName == upper {
		e.Errorf("refused rename was stored")
	}
	if got := must(e.s.UpdateGroup(e.ctx, tn.Actor, tn.ID, g.ID, store.GroupChange{DisplayName: &upper}))(e); got.DisplayName != upper {
		e.Errorf("renaming to another case = %q", got.DisplayName)
	}
}

func testGroupIsolation(e *env) {
	tn := e.tenant()
	other := e.tenant()
	a := e.member(tn.ID).Account.ID
	stranger := e.member(other.ID).Account.ID
	g := must(e.s.CreateGroup(e.ctx, tn.Actor, tn.ID, store.NewGroup{DisplayName: "Team " + rnd(), Members: []store.GroupMember{{AccountID: a}}}))(e)
	og := must(e.s.CreateGroup(e.ctx, other.Actor, other.ID, store.NewGroup{DisplayName: "Theirs " + rnd()}))(e)
	otherSCIM, _ := e.scim(other)
	before := e.snap([]string{tn.ID, other.ID})
	membersBefore := e.groupMembers(tn.ID, g.ID)
	// Members come from the org only.
	_, err := e.s.CreateGroup(e.ctx, tn.Actor, tn.ID, store.NewGroup{DisplayName: "Mixed " + rnd(), Members: []store.GroupMember{{AccountID: a}, {AccountID: stranger}}})
	e.wantInvalid(err, "a group with another org's member")
	_, err = e.s.UpdateGroup(e.ctx, tn.Actor, tn.ID, g.ID, store.GroupChange{AddMembers: []store.GroupMember{{AccountID: stranger}}})
	e.wantInvalid(err, "adding another org's member")
	_, err = e.s.UpdateGroup(e.ctx, tn.Actor, tn.ID, g.ID, store.GroupChange{ReplaceMembers: &[]store.GroupMember{{AccountID: unknownID}}})
	e.wantInvalid(err, "replacing with an unknown account")
	// Another org's actors see nothing.
	for _, actor := range []store.Actor{other.Actor, otherSCIM} {
		_, err = e.s.CreateGroup(e.ctx, actor, tn.ID, store.NewGroup{DisplayName: "Evil " + rnd()})
		e.wantNotFound(err, "CreateGroup by another org's "+string(actor.Kind))
		_, err = e.s.UpdateGroup(e.ctx, actor, tn.ID, g.ID, store.GroupChange{RemoveMembers: []string{a}})
		e.wantNotFound(err, "UpdateGroup by another org's "+string(actor.Kind))
		e.wantNotFound(e.s.DeleteGroup(e.ctx, actor, tn.ID, g.ID), "DeleteGroup by another org's "+string(actor.Kind))
		_, err = e.s.UpdateGroup(e.ctx, actor, other.ID, g.ID, store.GroupChange{RemoveMembers: []string{a}})
		e.wantNotFound(err, "UpdateGroup of this org's group through another org")
		e.wantNotFound(e.s.DeleteGroup(e.ctx, actor, other.ID, g.ID), "DeleteGroup of this org's group through another org")
	}
	_, err = e.s.UpdateGroup(e.ctx, tn.Actor, tn.ID, og.ID, store.GroupChange{DisplayName: new("Mine")})
	e.wantNotFound(err, "UpdateGroup of another org's group id")
	_, err = e.s.ListGroupMembers(e.ctx, other.ID, g.ID, "", 0)
	e.wantNotFound(err, "ListGroupMembers through another org")
	user := store.AdminActor(tn.ID, a)
	_, err = e.s.CreateGroup(e.ctx, user, tn.ID, store.NewGroup{DisplayName: "Mine " + rnd()})
	e.wantIs(err, store.ErrForbidden, "CreateGroup by a plain user")
	e.unchanged(before, "refused group changes")
	if got := e.groupMembers(tn.ID, g.ID); !slices.Equal(got, membersBefore) {
		e.Errorf("members after refusals = %v, want %v", got, membersBefore)
	}
	if gs, total := must3(e.s.ListGroups(e.ctx, other.ID, store.GroupQuery{}))(e); total != 1 || gs[0].ID != og.ID {
		e.Errorf("another org lists %d groups, want only its own", total)
	}
	// The org's IdP manages its groups.
	scim, _ := e.scim(tn)
	b := e.member(tn.ID).Account.ID
	must(e.s.UpdateGroup(e.ctx, scim, tn.ID, g.ID, store.GroupChange{AddMembers: []store.GroupMember{{AccountID: b}}}))(e)
	if got := e.groupMembers(tn.ID, g.ID); len(got) != 2 {
		e.Errorf("members after the IdP's add = %v", got)
	}
}

func testGroupPaging(e *env) {
	tn := e.tenant()
	other := e.tenant()
	for range 5 {
		must(e.s.CreateGroup(e.ctx, tn.Actor, tn.ID, store.NewGroup{DisplayName: "G " + rnd()}))(e)
	}
	must(e.s.CreateGroup(e.ctx, other.Actor, other.ID, store.NewGroup{DisplayName: "G " + rnd()}))(e)
	all, total := must3(e.s.ListGroups(e.ctx, tn.ID, store.GroupQuery{}))(e)
	if total != 5 || len(all) != 5 {
		e.Fatalf("ListGroups = %d of %d, want 5", len(all), total)
	}
	var paged []store.Group
	for off := 0; off < 6; off += 2 {
		page, total := must3(e.s.ListGroups(e.ctx, tn.ID, store.GroupQuery{Offset: off, Limit: 2}))(e)
		if total != 5 {
			e.Errorf("total at offset %d = %d", off, total)
		}
		paged = append(paged, page...)
	}
	e.same("pages of groups", paged, all)
	if gs, total := must3(e.s.ListGroups(e.ctx, tn.ID, store.GroupQuery{DisplayName: "G nope"}))(e); len(gs) != 0 || total != 0 {
		e.Errorf("unknown displayName matched %d", total)
	}
	if _, total := must3(e.s.ListGroups(e.ctx, other.ID, store.GroupQuery{}))(e); total != 1 {
		e.Errorf("other org has %d groups, want 1", total)
	}
}
