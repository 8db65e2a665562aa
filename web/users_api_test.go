package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/idbridge/idbridge/store"
)

// The Users API of issue 9, on both backends.

type userOut struct {
	ID           string     `json:"id"`
	Email        string     `json:"email"`
	Name         string     `json:"name"`
	Status       string     `json:"status"`
	UserType     string     `json:"userType"`
	Subscription string     `json:"subscription"`
	ReportsRole  string     `json:"reportsRole"`
	Disabled     bool       `json:"disabled"`
	InvitedAt    *string    `json:"invitedAt"`
	Groups       []groupOut `json:"groups"`
	SignIns      []struct {
		Method         string `json:"method"`
		ConnectionName string `json:"connectionName"`
	} `json:"signIns"`
	CanEditEmail     bool   `json:"canEditEmail"`
	EmailReason      string `json:"emailReason"`
	EmailRule        int    `json:"emailRule"`
	CanInvite        bool   `json:"canInvite"`
	InviteReason     string `json:"inviteReason"`
	CanRemove        bool   `json:"canRemove"`
	RemoveReason     string `json:"removeReason"`
	CanEditName      bool   `json:"canEditName"`
	ExistingAccount  bool   `json:"existingAccount"`
	InvitationSent   bool   `json:"invitationSent"`
	InvitationReason string `json:"invitationReason"`
}

type groupOut struct {
	DisplayName string `json:"displayName"`
	Role        string `json:"role"`
}

type listOut struct {
	Users      []userOut `json:"users"`
	Total      int       `json:"total"`
	NextCursor string    `json:"nextCursor"`
}

type errOut struct {
	Error string `json:"error"`
	Rule  int    `json:"rule"`
}

// usersEnv is the seed fixture with Ada (admin of Acme) signed in.
type usersEnv struct {
	*env
	f     fixture
	admin *browser
	base  string // /api/orgs/<acme>
}

func newUsersEnv(t *testing.T, e *env) usersEnv {
	f := e.seed()
	admin := e.browser()
	admin.mustSignIn("ada@acme.example", f.password)
	return usersEnv{env: e, f: f, admin: admin, base: "/api/orgs/" + f.org.ID}
}

// wantErr checks an error answer: its code, a sentence, the rule.
func (u usersEnv) wantErr(r resp, code, rule int, what string) {
	u.t.Helper()
	var out errOut
	_ = json.Unmarshal([]byte(r.body), &out)
	if r.code != code || out.Error == "" || out.Rule != rule {
		u.t.Fatalf("%s = %d %s, want %d with a sentence and rule %d", what, r.code, r.body, code, rule)
	}
}

func (u usersEnv) member(email string, opts ...func(*store.NewMember)) store.Member {
	u.t.Helper()
	n := store.NewMember{Email: email}
	for _, o := range opts {
		o(&n)
	}
	m, err := u.st.CreateMember(u.ctx, store.SupportActor("test"), u.f.org.ID, n)
	u.must(err)
	return m
}

func userIDs(us []userOut) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}

func TestUsersAPIList(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		u := newUsersEnv(t, e)
		pro := func(n *store.NewMember) { n.Subscription = store.SubscriptionProfessional }
		cat := u.member("cat@acme.example", func(n *store.NewMember) { n.GivenName, n.FamilyName, n.Invite = "Cat", "Zeta", true })
		dan := u.member("dan@acme.example", pro, func(n *store.NewMember) { n.GivenName, n.Disabled = "Dan", true })
		eve := u.member("eve@partner.example", pro, func(n *store.NewMember) { n.GivenName, n.FamilyName = "Eve", "Acme-Smith" })
		var l listOut
		if r := u.admin.api(http.MethodGet, u.base+"/users", nil, &l); r.code != http.StatusOK || l.Total != 5 || len(l.Users) != 5 || l.NextCursor != "" {
			t.Fatalf("list = %d %s, want the 5 users of Acme", r.code, r.body)
		}
		cases := []struct {
			query string
			want  []string
		}{
			{"q=ZETA", []string{cat.Account.ID}},
			{"q=acme-smith", []string{eve.Account.ID}},
			{"q=partner.example", []string{eve.Account.ID}},
			{"status=pending", []string{cat.Account.ID}},
			{"status=disabled&status=pending", []string{cat.Account.ID, dan.Account.ID}},
			{"status=disabled,pending", []string{cat.Account.ID, dan.Account.ID}},
			{"type=system_admin", []string{u.f.admin.Account.ID}},
			{"subscription=professional&status=inactive", []string{eve.Account.ID}},
			{"q=gus", nil}, // Globex's admin is another org's
		}
		for _, tc := range cases {
			l = listOut{}
			r := u.admin.api(http.MethodGet, u.base+"/users?"+tc.query, nil, &l)
			slices.Sort(tc.want)
			if got := userIDs(l.Users); r.code != http.StatusOK || !slices.Equal(got, tc.want) || l.Total != len(tc.want) {
				t.Errorf("%s = %d %v (total %d), want %v", tc.query, r.code, got, l.Total, tc.want)
			}
		}
		// Sorted by name, both ways, paged 2 at a time: the same order as one page.
		for _, order := range []string{"asc", "desc"} {
			var all listOut
			u.admin.api(http.MethodGet, u.base+"/users?sort=name&order="+order+"&limit=1000", nil, &all)
			names := make([]string, len(all.Users))
			for i, x := range all.Users {
				names[i] = strings.ToLower(x.Name)
			}
			sorted := slices.IsSorted(names)
			if order == "desc" {
				slices.Reverse(names)
				sorted = slices.IsSorted(names)
			}
			if !sorted || len(names) != 5 {
				t.Errorf("sort=name order=%s: %v", order, names)
			}
			var paged []string
			q := "sort=name&order=" + order + "&limit=2"
			for cursor := ""; ; {
				var p listOut
				if r := u.admin.api(http.MethodGet, u.base+"/users?"+q+"&cursor="+url.QueryEscape(cursor), nil, &p); r.code != http.StatusOK || p.Total != 5 {
					t.Fatalf("page = %d %s", r.code, r.body)
				}
				paged = append(paged, userIDs(p.Users)...)
				if cursor = p.NextCursor; cursor == "" {
					break
				}
			}
			if !slices.Equal(paged, userIDs(all.Users)) {
				t.Errorf("pages of 2 = %v, want %v", paged, userIDs(all.Users))
			}
		}
		for _, bad := range []string{"status=deleted", "type=owner", "subscription=gold", "sort=age", "order=up", "limit=0", "limit=1001",
			"limit=ten", "cursor=garbage", "statuses=active", "q=" + strings.Repeat("x", 201)} {
			var out errOut
			if r := u.admin.api(http.MethodGet, u.base+"/users?"+bad, nil, &out); r.code != http.StatusBadRequest || out.Error == "" {
				t.Errorf("%s = %d %s, want 400 with a sentence", bad, r.code, r.body)
			}
		}
		var p listOut
		u.admin.api(http.MethodGet, u.base+"/users?sort=email&limit=1", nil, &p)
		var out errOut
		if r := u.admin.api(http.MethodGet, u.base+"/users?sort=name&limit=1&cursor="+p.NextCursor, nil, &out); r.code != http.StatusBadRequest {
			t.Errorf("a cursor of another sort = %d, want 400", r.code)
		}
		outsider := e.browser()
		outsider.mustSignIn("gus@globex.example", u.f.password)
		if r := outsider.api(http.MethodGet, u.base+"/users", nil, nil); r.code != http.StatusNotFound {
			t.Errorf("another org's admin lists Acme = %d, want 404", r.code)
		}
		bob := e.browser()
		bob.mustSignIn("bob@acme.example", u.f.password)
		if r := bob.api(http.MethodGet, u.base+"/users", nil, nil); r.code != http.StatusForbidden {
			t.Errorf("a plain user lists = %d, want 403", r.code)
		}
	})
}

func TestUsersAPIDetails(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		u := newUsersEnv(t, e)
		sup := store.SupportActor("test")
		_, err := e.st.CreateGroup(e.ctx, sup, u.f.org.ID, store.NewGroup{DisplayName: "Auditors",
			Members: []store.GroupMember{{AccountID: u.f.user.Account.ID, Role: store.GroupRoleManager}}})
		e.must(err)
		bob := e.browser()
		bob.mustSignIn("bob@acme.example", u.f.password)
		bob.mustSignIn("bob@acme.example", u.f.password)
		var d userOut
		path := u.base + "/users/" + u.f.user.Account.ID
		if r := u.admin.api(http.MethodGet, path, nil, &d); r.code != http.StatusOK {
			t.Fatalf("details = %d %s", r.code, r.body)
		}
		if d.ID != u.f.user.Account.ID || d.Email != "bob@acme.example" || d.Status != "inactive" || len(d.Groups) != 1 ||
			d.Groups[0] != (groupOut{"Auditors", "manager"}) || len(d.SignIns) != 2 || d.SignIns[0].Method != "password" {
			t.Fatalf("details = %+v", d)
		}
		if !d.CanEditEmail || !d.CanInvite || !d.CanRemove || d.CanEditName {
			t.Errorf("what the admin may do = %+v: want edit email, invite and remove, not the name", d)
		}
		// The last admin cannot be removed; their own name is theirs to edit.
		u.admin.api(http.MethodGet, u.base+"/users/"+u.f.admin.Account.ID, nil, &d)
		if d.CanRemove || !strings.Contains(d.RemoveReason, "last enabled system admin") || !d.CanEditName {
			t.Errorf("the admin's own details = %+v", d)
		}
		// Rule 3: Bob also belongs to another company's org.
		co, err := e.st.CreateCompany(e.ctx, sup, "Initech")
		e.must(err)
		ini, err := e.st.CreateOrg(e.ctx, sup, store.NewOrg{CompanyID: co.ID, Name: "Initech", Domains: []string{"initech.example"}})
		e.must(err)
		_, err = e.st.CreateMember(e.ctx, sup, ini.ID, store.NewMember{Email: "bob@acme.example"})
		e.must(err)
		d = userOut{}
		u.admin.api(http.MethodGet, path, nil, &d)
		if d.CanEditEmail || d.EmailRule != 3 || strings.Contains(d.EmailReason, "Initech") {
			t.Errorf("rule 3 details = %+v, want no email edit, rule 3, the other org unnamed", d)
		}
		// Rule 1: SSO on in Acme.
		cat := u.member("cat@acme.example")
		e.enableSSO(u.f.org)
		d = userOut{}
		u.admin.api(http.MethodGet, u.base+"/users/"+cat.Account.ID, nil, &d)
		if d.CanEditEmail || d.EmailRule != 1 || !strings.Contains(d.EmailReason, "Disable SSO") || d.CanInvite || !strings.Contains(d.InviteReason, "SSO") {
			t.Errorf("SSO details = %+v, want no email edit (rule 1), no invitation (rule 9)", d)
		}
		for what, id := range map[string]string{"unknown": "0190f3a2-0000-7000-8000-000000000000", "malformed": "nope",
			"another org's user": u.f.outsider.Account.ID} {
			if r := u.admin.api(http.MethodGet, u.base+"/users/"+id, nil, nil); r.code != http.StatusNotFound {
				t.Errorf("%s id = %d, want 404", what, r.code)
			}
		}
	})
}

func TestUsersAPICreateAndInvite(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		u := newUsersEnv(t, e)
		var c userOut
		r := u.admin.api(http.MethodPost, u.base+"/users", map[string]any{"email": "Nia@Acme.example", "givenName": "Nia", "familyName": "Obi",
			"userType": "user", "subscription": "professional", "reportsRole": "viewer"}, &c)
		if r.code != http.StatusCreated || !c.InvitationSent || c.Status != "pending" || c.Subscription != "professional" || c.ReportsRole != "viewer" || c.ExistingAccount {
			t.Fatalf("create = %d %s", r.code, r.body)
		}
		e.link("Nia@acme.example", "/invitation")
		var out errOut
		r = u.admin.api(http.MethodPost, u.base+"/users", map[string]any{"email": "nia@acme.example"}, &out)
		u.wantErr(r, http.StatusConflict, 0, "the same email again")
		r = u.admin.api(http.MethodPost, u.base+"/users", map[string]any{"email": "zoë@acme.example"}, &out)
		u.wantErr(r, http.StatusBadRequest, 2, "an accented email")
		r = u.admin.api(http.MethodPost, u.base+"/users", map[string]any{"email": "x@acme.example", "reportsRole": "editor"}, &out)
		u.wantErr(r, http.StatusConflict, 7, "reports role without the subscription")
		for _, bad := range []map[string]any{{"givenName": "No Email"}, {"email": "y@acme.example", "userType": "owner"},
			{"email": "y@acme.example", "password": "x"}} {
			out = errOut{}
			r = u.admin.api(http.MethodPost, u.base+"/users", bad, &out)
			u.wantErr(r, http.StatusBadRequest, 0, "bad create")
		}
		if _, err := e.st.MemberByEmail(e.ctx, u.f.org.ID, "x@acme.example"); err == nil {
			t.Fatal("a refused create added the user")
		}
		// Rule 14: Globex's admin joins Acme with the same account.
		c = userOut{}
		r = u.admin.api(http.MethodPost, u.base+"/users", map[string]any{"email": "gus@globex.example"}, &c)
		if r.code != http.StatusCreated || c.ID != u.f.outsider.Account.ID || !c.ExistingAccount {
			t.Fatalf("existing account = %d %s", r.code, r.body)
		}
		// Resend: a second invitation, the first link dead.
		first := e.link("nia@acme.example", "/invitation")
		var inv userOut
		if r = u.admin.api(http.MethodPost, u.base+"/users/"+c.ID+"/invitation", nil, &inv); r.code != http.StatusOK {
			t.Fatalf("invite an existing account = %d %s", r.code, r.body)
		}
		nia, err := e.st.MemberByEmail(e.ctx, u.f.org.ID, "nia@acme.example")
		e.must(err)
		if r = u.admin.api(http.MethodPost, u.base+"/users/"+nia.Account.ID+"/invitation", nil, &inv); r.code != http.StatusOK || inv.InvitedAt == nil {
			t.Fatalf("resend = %d %s", r.code, r.body)
		}
		if again := e.link("nia@acme.example", "/invitation"); again == first {
			t.Fatal("the resent invitation has the old link")
		}
		// A disabled user gets no invitation (rule 9).
		dis := u.member("dis@acme.example", func(n *store.NewMember) { n.Disabled = true })
		r = u.admin.api(http.MethodPost, u.base+"/users/"+dis.Account.ID+"/invitation", nil, nil)
		u.wantErr(r, http.StatusConflict, 9, "invite a disabled user")
		// An SSO org sends no invitation: the answer says why (rule 9).
		e.enableSSO(u.f.org)
		c = userOut{}
		r = u.admin.api(http.MethodPost, u.base+"/users", map[string]any{"email": "sso@acme.example"}, &c)
		if r.code != http.StatusCreated || c.InvitationSent || !strings.Contains(c.InvitationReason, "SSO") || c.Status != "inactive" {
			t.Fatalf("create in an SSO org = %d %s", r.code, r.body)
		}
		if ms, _ := e.st.ListOutbox(e.ctx, "sso@acme.example"); len(ms) != 0 {
			t.Fatalf("an SSO org mailed %d messages", len(ms))
		}
		out = errOut{}
		r = u.admin.api(http.MethodPost, u.base+"/users/"+c.ID+"/invitation", nil, &out)
		u.wantErr(r, http.StatusConflict, 9, "invite in an SSO org")
		if r = u.admin.api(http.MethodPost, u.base+"/users/"+u.f.outsider.Account.ID+"x/invitation", nil, nil); r.code != http.StatusNotFound {
			t.Fatalf("invite an unknown id = %d", r.code)
		}
	})
}

func (u usersEnv) detailsOf(id string) userOut {
	u.t.Helper()
	var d userOut
	if r := u.admin.api(http.MethodGet, u.base+"/users/"+id, nil, &d); r.code != http.StatusOK {
		u.t.Fatalf("details of %s = %d %s", id, r.code, r.body)
	}
	return d
}

func TestUsersAPIUpdate(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		u := newUsersEnv(t, e)
		path := u.base + "/users/" + u.f.user.Account.ID
		var m userOut
		if r := u.admin.api(http.MethodPatch, path, map[string]any{"subscription": "supervision", "reportsRole": "editor"}, &m); r.code != http.StatusOK ||
			m.Subscription != "supervision" || m.ReportsRole != "editor" {
			t.Fatalf("patch = %d %s", r.code, r.body)
		}
		var out errOut
		r := u.admin.api(http.MethodPatch, path, map[string]any{"subscription": "none"}, &out)
		u.wantErr(r, http.StatusConflict, 7, "lowering the subscription under a reports role")
		r = u.admin.api(http.MethodPatch, u.base+"/users/"+u.f.admin.Account.ID, map[string]any{"subscription": "professional"}, &out)
		u.wantErr(r, http.StatusConflict, 6, "the admin's own subscription")
		r = u.admin.api(http.MethodPatch, u.base+"/users/"+u.f.admin.Account.ID, map[string]any{"userType": "user"}, &out)
		u.wantErr(r, http.StatusConflict, 6, "demoting the last admin")
		for _, bad := range []any{map[string]any{}, map[string]any{"subscription": "gold"}, map[string]any{"givenName": "Robert"}, "x"} {
			out = errOut{}
			r = u.admin.api(http.MethodPatch, path, bad, &out)
			u.wantErr(r, http.StatusBadRequest, 0, "bad patch")
		}
		if d := u.detailsOf(u.f.user.Account.ID); d.Subscription != "supervision" || d.ReportsRole != "editor" {
			t.Fatalf("refused patches changed the user: %+v", d)
		}
		// Rule 13: disabling ends the user's sessions.
		bob := e.browser()
		bob.mustSignIn("bob@acme.example", u.f.password)
		if r = u.admin.api(http.MethodPatch, path, map[string]any{"disabled": true}, &m); r.code != http.StatusOK || m.Status != "disabled" {
			t.Fatalf("disable = %d %s", r.code, r.body)
		}
		if r = bob.get("/account"); r.code != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login") {
			t.Fatalf("the disabled user's session lives on: %d %q", r.code, r.loc)
		}
		if r = u.admin.api(http.MethodPatch, u.base+"/users/"+u.f.outsider.Account.ID, map[string]any{"disabled": true}, nil); r.code != http.StatusNotFound {
			t.Fatalf("another org's user = %d, want 404", r.code)
		}
	})
}

func TestUsersAPIEmail(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		u := newUsersEnv(t, e)
		path := u.base + "/users/" + u.f.user.Account.ID + "/email"
		var out errOut
		r := u.admin.api(http.MethodPost, path, map[string]any{"email": "robert@acme.example"}, &out)
		u.wantErr(r, http.StatusBadRequest, 0, "no confirmation")
		r = u.admin.api(http.MethodPost, path, map[string]any{"email": "robért@acme.example", "confirm": true}, &out)
		u.wantErr(r, http.StatusBadRequest, 2, "an accented email")
		r = u.admin.api(http.MethodPost, path, map[string]any{"email": "ada@acme.example", "confirm": true}, &out)
		u.wantErr(r, http.StatusConflict, 0, "a taken email")
		if d := u.detailsOf(u.f.user.Account.ID); d.Email != "bob@acme.example" {
			t.Fatalf("refused changes changed the email to %s", d.Email)
		}
		var m userOut
		if r = u.admin.api(http.MethodPost, path, map[string]any{"email": "robert@acme.example", "confirm": true}, &m); r.code != http.StatusOK || m.Email != "robert@acme.example" {
			t.Fatalf("change = %d %s", r.code, r.body)
		}
		ms, err := e.st.ListOutbox(e.ctx, "bob@acme.example")
		e.must(err)
		if len(ms) == 0 || ms[len(ms)-1].Kind != "email_changed" {
			t.Fatalf("no notice to the old address: %+v", ms)
		}
		if r = e.browser().signIn("bob@acme.example", u.f.password); r.code == http.StatusSeeOther && r.loc == "/account" {
			t.Fatal("the old address still signs in (rule 5)")
		}
		e.enableSSO(u.f.org)
		r = u.admin.api(http.MethodPost, path, map[string]any{"email": "rob@acme.example", "confirm": true}, &out)
		u.wantErr(r, http.StatusConflict, 1, "SSO on")
		if !strings.Contains(out.Error, "Disable SSO") {
			t.Fatalf("rule 1 sentence = %q", out.Error)
		}
		r = u.admin.api(http.MethodPost, u.base+"/users/"+u.f.outsider.Account.ID+"/email", map[string]any{"email": "g@acme.example", "confirm": true}, &out)
		if r.code != http.StatusNotFound {
			t.Fatalf("another org's user = %d, want 404", r.code)
		}
	})
}

func TestUsersAPIRemove(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		u := newUsersEnv(t, e)
		var out errOut
		r := u.admin.api(http.MethodDelete, u.base+"/users/"+u.f.admin.Account.ID, nil, &out)
		u.wantErr(r, http.StatusConflict, 6, "removing the last admin")
		if r = u.admin.api(http.MethodDelete, u.base+"/users/"+u.f.outsider.Account.ID, nil, nil); r.code != http.StatusNotFound {
			t.Fatalf("another org's user = %d, want 404", r.code)
		}
		bob := e.browser()
		bob.mustSignIn("bob@acme.example", u.f.password)
		if r = u.admin.api(http.MethodDelete, u.base+"/users/"+u.f.user.Account.ID, nil, nil); r.code != http.StatusNoContent {
			t.Fatalf("remove = %d %s", r.code, r.body)
		}
		if r = u.admin.api(http.MethodGet, u.base+"/users/"+u.f.user.Account.ID, nil, nil); r.code != http.StatusNotFound {
			t.Fatalf("details after removal = %d, want 404", r.code)
		}
		if r = bob.get("/account"); r.code != http.StatusSeeOther {
			t.Fatalf("the removed user's session lives on: %d", r.code)
		}
		if _, err := e.st.GetAccount(e.ctx, u.f.user.Account.ID); err != nil {
			t.Fatalf("the account went with the membership: %v", err)
		}
	})
}

type bulkOut struct {
	Results []struct {
		ID    string `json:"id"`
		OK    bool   `json:"ok"`
		Error string `json:"error"`
		Rule  int    `json:"rule"`
	} `json:"results"`
	Changed int `json:"changed"`
	Refused int `json:"refused"`
}

func TestUsersAPIBulk(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		u := newUsersEnv(t, e)
		cat := u.member("cat@acme.example", func(n *store.NewMember) { n.FamilyName = "Bulk" })
		dan := u.member("dan@acme.example", func(n *store.NewMember) { n.FamilyName = "Bulk"; n.Subscription = store.SubscriptionContributor })
		var b bulkOut
		ids := []string{u.f.user.Account.ID, u.f.admin.Account.ID, u.f.outsider.Account.ID, u.f.user.Account.ID}
		r := u.admin.api(http.MethodPost, u.base+"/users/bulk", map[string]any{"ids": ids, "changes": map[string]any{"subscription": "professional"}}, &b)
		if r.code != http.StatusOK || b.Changed != 1 || b.Refused != 2 || len(b.Results) != 3 {
			t.Fatalf("bulk by ids = %d %s", r.code, r.body)
		}
		if res := b.Results[1]; res.ID != u.f.admin.Account.ID || res.OK || res.Rule != 6 || res.Error == "" {
			t.Errorf("the admin's own subscription = %+v, want refused by rule 6", res)
		}
		if res := b.Results[2]; res.OK || res.Error != "not found" {
			t.Errorf("another org's user = %+v, want refused as not found", res)
		}
		if d := u.detailsOf(u.f.user.Account.ID); d.Subscription != "professional" {
			t.Errorf("bob's subscription = %s", d.Subscription)
		}
		// Every user matching the search and filters, across pages.
		b = bulkOut{}
		r = u.admin.api(http.MethodPost, u.base+"/users/bulk", map[string]any{"all": true, "q": "bulk", "status": []string{"inactive"},
			"changes": map[string]any{"subscription": "supervision", "reportsRole": "viewer"}}, &b)
		if r.code != http.StatusOK || b.Changed != 2 || b.Refused != 0 {
			t.Fatalf("bulk on all = %d %s", r.code, r.body)
		}
		for _, m := range []store.Member{cat, dan} {
			if d := u.detailsOf(m.Account.ID); d.Subscription != "supervision" || d.ReportsRole != "viewer" {
				t.Errorf("%s after bulk = %+v", m.Account.Email, d)
			}
		}
		// Rule 7 per user: lowering the subscription under a reports role.
		b = bulkOut{}
		u.admin.api(http.MethodPost, u.base+"/users/bulk", map[string]any{"all": true, "changes": map[string]any{"subscription": "none"}}, &b)
		if b.Refused != 2 || b.Changed != 2 { // cat and dan (rule 7); bob and the admin (already none)
			t.Errorf("bulk to none = %+v", b)
		}
		for _, bad := range []map[string]any{
			{"changes": map[string]any{"subscription": "none"}},
			{"ids": []string{cat.Account.ID}, "all": true, "changes": map[string]any{"subscription": "none"}},
			{"ids": []string{}, "changes": map[string]any{"subscription": "none"}},
			{"ids": []string{cat.Account.ID}, "q": "x", "changes": map[string]any{"subscription": "none"}},
			{"ids": []string{cat.Account.ID}, "changes": map[string]any{}},
			{"ids": []string{cat.Account.ID}, "changes": map[string]any{"disabled": true}},
			{"ids": []string{cat.Account.ID}, "changes": map[string]any{"userType": "owner"}},
			{"all": true, "status": []string{"gone"}, "changes": map[string]any{"subscription": "none"}},
			{"ids": make([]string, 1001), "changes": map[string]any{"subscription": "none"}},
		} {
			var out errOut
			r = u.admin.api(http.MethodPost, u.base+"/users/bulk", bad, &out)
			u.wantErr(r, http.StatusBadRequest, 0, "bad bulk")
		}
	})
}

func TestOrgSettingsAPI(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		u := newUsersEnv(t, e)
		var o struct {
			ID          string   `json:"id"`
			Name        string   `json:"name"`
			Domains     []string `json:"domains"`
			SenderName  string   `json:"senderName"`
			SenderEmail string   `json:"senderEmail"`
		}
		if r := u.admin.api(http.MethodGet, u.base, nil, &o); r.code != http.StatusOK || o.ID != u.f.org.ID || o.Name != "Acme Hotels" || o.SenderEmail != "" {
			t.Fatalf("get org = %d %s", r.code, r.body)
		}
		r := u.admin.api(http.MethodPatch, u.base, map[string]any{"senderName": "Acme HR", "senderEmail": "hr@acme.example"}, &o)
		if r.code != http.StatusOK || o.SenderName != "Acme HR" || o.SenderEmail != "hr@acme.example" {
			t.Fatalf("patch sender = %d %s", r.code, r.body)
		}
		var c userOut
		u.admin.api(http.MethodPost, u.base+"/users", map[string]any{"email": "new@acme.example"}, &c)
		ms, err := e.st.ListOutbox(e.ctx, "new@acme.example")
		e.must(err)
		if len(ms) != 1 || ms[0].FromEmail != "hr@acme.example" || ms[0].FromName != "Acme HR" {
			t.Fatalf("the invitation's sender = %+v, want Acme HR <hr@acme.example>", ms)
		}
		for _, bad := range []struct {
			body map[string]any
			rule int
		}{
			{map[string]any{"senderEmail": "not an email"}, 2},
			{map[string]any{"senderName": "HR\r\nBcc: eve@evil.example"}, 0},
			{map[string]any{"name": ""}, 0},
			{map[string]any{"domains": []string{"evil.example"}}, 0},
			{map[string]any{}, 0},
		} {
			var out errOut
			r = u.admin.api(http.MethodPatch, u.base, bad.body, &out)
			u.wantErr(r, http.StatusBadRequest, bad.rule, "bad org patch")
		}
		u.admin.api(http.MethodGet, u.base, nil, &o)
		if o.SenderName != "Acme HR" || o.Name != "Acme Hotels" {
			t.Fatalf("refused patches changed the org: %+v", o)
		}
		// Back to the default sender.
		if r = u.admin.api(http.MethodPatch, u.base, map[string]any{"senderName": "", "senderEmail": ""}, &o); r.code != http.StatusOK || o.SenderEmail != "" {
			t.Fatalf("clear sender = %d %s", r.code, r.body)
		}
		if r = u.admin.api(http.MethodGet, "/api/orgs/"+u.f.other.ID, nil, nil); r.code != http.StatusNotFound {
			t.Fatalf("another org's settings = %d, want 404", r.code)
		}
	})
}

func TestMyOrgsAPI(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		u := newUsersEnv(t, e)
		if r := e.browser().api(http.MethodGet, "/api/me/orgs", nil, nil); r.code != http.StatusUnauthorized {
			t.Fatalf("no session = %d, want 401", r.code)
		}
		sup := store.SupportActor("test")
		// Ada is also Globex's admin, a plain user of Initech (another company)
		// and a disabled admin of Acme Labs.
		_, err := e.st.CreateMember(e.ctx, sup, u.f.other.ID, store.NewMember{Email: "ada@acme.example", UserType: store.UserTypeSystemAdmin})
		e.must(err)
		co, err := e.st.CreateCompany(e.ctx, sup, "Initech")
		e.must(err)
		ini, err := e.st.CreateOrg(e.ctx, sup, store.NewOrg{CompanyID: co.ID, Name: "Initech"})
		e.must(err)
		_, err = e.st.CreateMember(e.ctx, sup, ini.ID, store.NewMember{Email: "ada@acme.example"})
		e.must(err)
		labs, err := e.st.CreateOrg(e.ctx, sup, store.NewOrg{CompanyID: u.f.company, Name: "Acme Labs"})
		e.must(err)
		_, err = e.st.CreateMember(e.ctx, sup, labs.ID, store.NewMember{Email: "ada@acme.example", UserType: store.UserTypeSystemAdmin, Disabled: true})
		e.must(err)
		var orgs []struct {
			ID          string `json:"id"`
			Name        string `json:"name"`
			CompanyName string `json:"companyName"`
			Current     bool   `json:"current"`
		}
		if r := u.admin.api(http.MethodGet, "/api/me/orgs", nil, &orgs); r.code != http.StatusOK || len(orgs) != 2 {
			t.Fatalf("my orgs = %d %s, want Acme Hotels and Globex", r.code, r.body)
		}
		if orgs[0].ID != u.f.org.ID || !orgs[0].Current || orgs[0].CompanyName != "Acme S.p.A." || orgs[1].ID != u.f.other.ID || orgs[1].Current {
			t.Fatalf("my orgs = %+v", orgs)
		}
		bob := e.browser()
		bob.mustSignIn("bob@acme.example", u.f.password)
		if r := bob.api(http.MethodGet, "/api/me/orgs", nil, &orgs); r.code != http.StatusOK || len(orgs) != 0 {
			t.Fatalf("a plain user's orgs = %d %s, want []", r.code, r.body)
		}
	})
}
