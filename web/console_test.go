package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/web"
)

// The admin console of issue 9: the pages over the users API's calls.

// fieldForm is the part of a details page that holds the form of field.
func fieldForm(t *testing.T, body, field string) string {
	t.Helper()
	i := strings.Index(body, `name="field" value="`+field+`"`)
	if i < 0 {
		t.Fatalf("no form of %s on the page:\n%s", field, text(body))
	}
	rest := body[i:]
	return rest[:strings.Index(rest, "</form>")]
}

func TestConsoleLanding(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	out := e.browser()
	if r := out.get("/admin/users?q=bob"); r.code != http.StatusSeeOther || r.loc != "/login?return_to="+url.QueryEscape("/admin/users?q=bob") {
		t.Fatalf("signed out /admin/users = %d %q, want to /login and back", r.code, r.loc)
	}
	admin := e.browser()
	if r := admin.signIn("ada@acme.example", f.password); r.code != http.StatusSeeOther || r.loc != "/admin" {
		t.Fatalf("admin sign-in = %d %q, want 303 to /admin", r.code, r.loc)
	}
	if r := admin.get("/admin"); r.code != http.StatusSeeOther || r.loc != "/admin/users" {
		t.Fatalf("/admin = %d %q, want the Users page", r.code, r.loc)
	}
	if r := admin.get("/account"); !strings.Contains(r.body, `<a href="/admin/users" id="to-console">`) {
		t.Errorf("the admin's account page has no way to the console")
	}
	if r := admin.get("/"); r.loc != "/admin" {
		t.Fatalf("/ for an admin = %q, want /admin", r.loc)
	}
	r := admin.get("/admin/users")
	if r.code != http.StatusOK || !strings.Contains(text(r.body), "Users (2)") || !strings.Contains(text(r.body), "Single sign-on") ||
		!strings.Contains(text(r.body), "Provisioning") || !strings.Contains(text(r.body), "Settings") {
		t.Fatalf("Users page = %d, want the navigation with Users (2):\n%s", r.code, text(r.body))
	}
	// A form posted from another site is refused, and changes nothing.
	if r := admin.post("/admin/users/"+f.user.Account.ID+"/remove", url.Values{}, "Sec-Fetch-Site", "cross-site"); r.code != http.StatusForbidden {
		t.Errorf("a cross-site remove = %d, want 403", r.code)
	}
	if _, err := e.st.GetMember(e.ctx, f.org.ID, f.user.Account.ID); err != nil {
		t.Errorf("a cross-site remove removed Bob: %v", err)
	}
	bob := e.browser()
	if r := bob.signIn("bob@acme.example", f.password); r.code != http.StatusSeeOther || r.loc != "/account" {
		t.Fatalf("user sign-in = %d %q, want 303 to /account", r.code, r.loc)
	}
	for _, path := range []string{"/admin", "/admin/users", "/admin/settings", "/admin/users/" + f.admin.Account.ID} {
		if r := bob.get(path); r.code != http.StatusSeeOther || r.loc != "/account" {
			t.Errorf("a plain user's %s = %d %q, want their account page", path, r.code, r.loc)
		}
	}
	if r := bob.post("/admin/users/"+f.admin.Account.ID+"/remove", nil); r.code != http.StatusSeeOther || r.loc != "/account" {
		t.Errorf("a plain user's remove = %d %q, want their account page", r.code, r.loc)
	}
	if _, err := e.st.GetMember(e.ctx, f.org.ID, f.admin.Account.ID); err != nil {
		t.Errorf("the admin is gone after a plain user's remove: %v", err)
	}
}

func TestConsoleHeadersAndScript(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	admin := e.browser()
	admin.mustSignIn("ada@acme.example", f.password)
	r := admin.get("/admin/users")
	csp := r.h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-eval") ||
		!strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(r.body, "<script>") || !strings.Contains(r.body, `<script src="/admin/console.js"`) {
		t.Fatalf("console CSP %q; the page must load only /admin/console.js", csp)
	}
	if r := admin.get("/account"); strings.Contains(r.h.Get("Content-Security-Policy"), "script-src") {
		t.Errorf("the account page allows scripts: %q", r.h.Get("Content-Security-Policy"))
	}
	js := admin.get("/admin/console.js")
	if js.code != http.StatusOK || !strings.HasPrefix(js.h.Get("Content-Type"), "text/javascript") || !strings.Contains(js.body, "select-page") {
		t.Fatalf("console.js = %d %q", js.code, js.h.Get("Content-Type"))
	}
}

func TestConsoleUsersPage(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		u := newUsersEnv(t, e)
		cat := u.member("cat@acme.example", func(n *store.NewMember) { n.GivenName, n.FamilyName, n.Invite = "Cat", "Zeta", true })
		dan := u.member("dan@acme.example", func(n *store.NewMember) {
			n.GivenName, n.Subscription, n.Disabled = "Dan", store.SubscriptionProfessional, true
		})
		r := u.admin.get("/admin/users")
		page := text(r.body)
		if r.code != http.StatusOK || !strings.Contains(page, "4 users") || !strings.Contains(page, "cat@acme.example") || !strings.Contains(page, "Ada") {
			t.Fatalf("Users page = %d:\n%s", r.code, page)
		}
		for _, label := range []string{"Search by name or email", "All statuses", "All user types", "All subscriptions"} {
			if !strings.Contains(page, label) {
				t.Errorf("the Users page has no %q", label)
			}
		}
		// Every control has a label (checkboxes an aria-label).
		for _, m := range regexp.MustCompile(`<(input|select)[^>]*>`).FindAllString(r.body, -1) {
			if strings.Contains(m, `type="hidden"`) {
				continue
			}
			id := regexp.MustCompile(`id="([^"]+)"`).FindStringSubmatch(m)
			if !strings.Contains(m, "aria-label=") && (id == nil || !strings.Contains(r.body, `for="`+id[1]+`"`)) {
				t.Errorf("control without a label: %s", m)
			}
		}
		// Search and a filter, in the URL: the same list on a reload.
		r = u.admin.get("/admin/users?q=zeta&status=&type=&subscription=")
		if page := text(r.body); !strings.Contains(page, "1 user") || !strings.Contains(page, "cat@acme.example") || strings.Contains(page, "bob@acme.example") ||
			!strings.Contains(r.body, `value="zeta"`) {
			t.Errorf("search zeta:\n%s", page)
		}
		r = u.admin.get("/admin/users?status=disabled")
		if page := text(r.body); !strings.Contains(page, "1 user") || !strings.Contains(page, "dan@acme.example") || !strings.Contains(r.body, `<option value="disabled" selected>`) {
			t.Errorf("status=disabled:\n%s", page)
		}
		if r = u.admin.get("/admin/users?subscription=professional&type=user"); !strings.Contains(text(r.body), "dan@acme.example") || strings.Contains(text(r.body), "bob@acme.example") {
			t.Errorf("subscription=professional:\n%s", text(r.body))
		}
		if r = u.admin.get("/admin/users?status=gone"); r.code != http.StatusBadRequest || !strings.Contains(text(r.body), `"gone" is not one of active`) {
			t.Errorf("status=gone = %d:\n%s", r.code, text(r.body))
		}
		// Sorted columns say so (aria-sort) and link to the other order; the download keeps the filters.
		r = u.admin.get("/admin/users?sort=email&q=acme")
		if !regexp.MustCompile(`<th scope="col" aria-sort="ascending"><a href="/admin/users\?order=desc&amp;q=acme&amp;sort=email">`).MatchString(r.body) {
			t.Errorf("no ascending email header linking to desc:\n%s", r.body)
		}
		if strings.Count(r.body, "aria-sort=") != 1 {
			t.Errorf("%d sorted headers, want 1", strings.Count(r.body, "aria-sort="))
		}
		if !strings.Contains(r.body, `href="/api/orgs/`+u.f.org.ID+`/users/export.xlsx?q=acme&amp;sort=email"`) {
			t.Errorf("the download does not keep the search and sort")
		}
		if r = u.admin.get("/admin/users?sort=email&order=desc"); !strings.Contains(r.body, `aria-sort="descending"`) {
			t.Errorf("no descending header")
		}
		// Invitations where rule 9 allows: Cat pending (resend), Bob inactive (send), Dan disabled (none).
		r = u.admin.get("/admin/users")
		if !strings.Contains(r.body, `action="/admin/users/`+cat.Account.ID+`/invitation"`) || strings.Contains(r.body, `action="/admin/users/`+dan.Account.ID+`/invitation"`) ||
			!strings.Contains(r.body, `action="/admin/users/`+u.f.user.Account.ID+`/invitation"`) || !strings.Contains(text(r.body), "Resend invitation") ||
			!strings.Contains(text(r.body), "Send invitation") {
			t.Errorf("invitation buttons wrong:\n%s", text(r.body))
		}
		before, _ := e.st.ListOutbox(e.ctx, "cat@acme.example")
		r = u.admin.post("/admin/users/"+cat.Account.ID+"/invitation", url.Values{"back": {"/admin/users?q=cat#u-" + cat.Account.ID}})
		if r.code != http.StatusSeeOther || r.loc != "/admin/users?q=cat&done=invited#u-"+cat.Account.ID {
			t.Fatalf("resend = %d %q", r.code, r.loc)
		}
		if after, _ := e.st.ListOutbox(e.ctx, "cat@acme.example"); len(after) != len(before)+1 {
			t.Errorf("resend wrote %d messages, want 1", len(after)-len(before))
		}
		if r = u.admin.get(r.loc); !strings.Contains(text(r.body), "The invitation is sent.") {
			t.Errorf("no notice after the invitation")
		}
		// A refused invitation (Dan is disabled) says why, on his details.
		r = u.admin.post("/admin/users/"+dan.Account.ID+"/invitation", url.Values{"back": {"/admin/users"}})
		if r.code != http.StatusConflict || !strings.Contains(text(r.body), "enable them before sending an invitation") {
			t.Errorf("invite a disabled user = %d:\n%s", r.code, text(r.body))
		}
		// Paging by cursor: 50 a page.
		for i := range 50 {
			u.member(fmt.Sprintf("p%02d@acme.example", i))
		}
		r = u.admin.get("/admin/users?sort=email")
		next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(r.body)
		if next == nil || !strings.Contains(text(r.body), "Select all 54 users") {
			t.Fatalf("no next page or no 'Select all 54 users':\n%s", text(r.body))
		}
		r = u.admin.get(strings.ReplaceAll(next[1], "&amp;", "&"))
		if n := strings.Count(r.body, `name="id"`); r.code != http.StatusOK || n != 4 || !strings.Contains(text(r.body), "First page") {
			t.Errorf("page 2 = %d with %d rows, want 4 and a First page link", r.code, n)
		}
	})
}

func TestConsoleDetailsAndInlineEdits(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		u := newUsersEnv(t, e)
		bob := u.f.user.Account.ID
		path := "/admin/users/" + bob
		r := u.admin.get(path + "?back=" + url.QueryEscape("/admin/users?q=b"))
		page := text(r.body)
		for _, want := range []string{"bob@acme.example", bob, "Inactive", "Subscription and roles", "Groups", "Last sign-ins", "Remove user", "Edit email"} {
			if !strings.Contains(page, want) {
				t.Errorf("details lack %q:\n%s", want, page)
			}
		}
		if !strings.Contains(r.body, `href="/admin/users?q=b#u-`+bob+`" data-escape`) {
			t.Errorf("the back link does not return to the list and the row")
		}
		// Rule 7: a reports role without the subscription is refused, next to the field, the value restored.
		r = u.admin.post(path, url.Values{"field": {"reportsRole"}, "value": {"viewer"}, "back": {"/admin/users?q=b"}})
		form := fieldForm(t, r.body, "reportsRole")
		if r.code != http.StatusConflict || !strings.Contains(form, `class="field-error"`) || !strings.Contains(form, "professional or supervision") ||
			!strings.Contains(form, `<option value="no_access" selected>`) || !strings.Contains(form, `aria-invalid="true"`) {
			t.Fatalf("refused reports role = %d, want 409 with the sentence next to the field:\n%s", r.code, form)
		}
		if strings.Contains(fieldForm(t, r.body, "subscription"), "field-error") {
			t.Errorf("the refusal is shown on the subscription too")
		}
		if m, _ := e.st.GetMember(e.ctx, u.f.org.ID, bob); m.Membership.ReportsRole != store.ReportsNoAccess {
			t.Errorf("the refused change was written: %s", m.Membership.ReportsRole)
		}
		// Then the subscription, then the role: saved.
		r = u.admin.post(path, url.Values{"field": {"subscription"}, "value": {"professional"}, "back": {"/admin/users?q=b"}})
		if r.code != http.StatusSeeOther || !strings.HasPrefix(r.loc, path+"?back=") || !strings.Contains(r.loc, "done=subscription") {
			t.Fatalf("subscription = %d %q", r.code, r.loc)
		}
		if r = u.admin.get(r.loc); !strings.Contains(text(r.body), "The subscription is saved.") || !strings.Contains(fieldForm(t, r.body, "subscription"), `<option value="professional" selected>`) {
			t.Errorf("after saving:\n%s", text(r.body))
		}
		if r = u.admin.post(path, url.Values{"field": {"reportsRole"}, "value": {"viewer"}}); r.code != http.StatusSeeOther {
			t.Fatalf("reports role after the subscription = %d %s", r.code, text(r.body))
		}
		if m, _ := e.st.GetMember(e.ctx, u.f.org.ID, bob); m.Membership.ReportsRole != store.ReportsViewer || m.Membership.Subscription != store.SubscriptionProfessional {
			t.Errorf("stored %+v", m.Membership)
		}
		// Rule 6: the admin's own subscription; the last admin's user type.
		ada := "/admin/users/" + u.f.admin.Account.ID
		if r = u.admin.post(ada, url.Values{"field": {"subscription"}, "value": {"supervision"}}); r.code != http.StatusConflict ||
			!strings.Contains(fieldForm(t, r.body, "subscription"), "cannot change their own subscription") {
			t.Errorf("own subscription = %d:\n%s", r.code, text(r.body))
		}
		if r = u.admin.post(ada, url.Values{"field": {"userType"}, "value": {"user"}}); r.code != http.StatusConflict ||
			!strings.Contains(fieldForm(t, r.body, "userType"), "last enabled system admin") {
			t.Errorf("last admin = %d:\n%s", r.code, text(r.body))
		}
		if r = u.admin.post(path, url.Values{"field": {"userType"}, "value": {"owner"}}); r.code != http.StatusBadRequest ||
			!strings.Contains(fieldForm(t, r.body, "userType"), "is not one of") {
			t.Errorf("a bad value = %d:\n%s", r.code, text(r.body))
		}
		// Disable and enable (rule 13: Bob's session ends).
		bobB := e.browser()
		bobB.mustSignIn("bob@acme.example", u.f.password)
		if r = u.admin.post(path, url.Values{"field": {"disabled"}, "value": {"true"}}); r.code != http.StatusSeeOther {
			t.Fatalf("disable = %d", r.code)
		}
		if r = bobB.get("/account"); r.code != http.StatusSeeOther {
			t.Errorf("a disabled user's session still works")
		}
		if r = u.admin.get(path); !strings.Contains(text(r.body), "Disabled") || !strings.Contains(r.body, `id="enable"`) {
			t.Errorf("after disabling:\n%s", text(r.body))
		}
		// Another org's user: not found.
		if r = u.admin.get("/admin/users/" + u.f.outsider.Account.ID); r.code != http.StatusNotFound {
			t.Errorf("another org's user = %d, want 404", r.code)
		}
	})
}

func TestConsoleEmail(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		u := newUsersEnv(t, e)
		bob := u.f.user.Account.ID
		path := "/admin/users/" + bob
		// The confirmation step, then the change; the old address gets a notice.
		r := u.admin.post(path+"/email", url.Values{"email": {"robert@acme.example"}, "back": {"/admin/users"}})
		if r.code != http.StatusOK || !strings.Contains(text(r.body), "from bob@acme.example to robert@acme.example") || !strings.Contains(r.body, `name="confirm" value="1"`) {
			t.Fatalf("email step 1 = %d:\n%s", r.code, text(r.body))
		}
		if m, _ := e.st.GetMember(e.ctx, u.f.org.ID, bob); m.Account.Email != "bob@acme.example" {
			t.Fatalf("changed before the confirmation")
		}
		if r = u.admin.post(path+"/email", url.Values{"email": {"rob\u00e8rt@acme.example"}}); r.code != http.StatusBadRequest || !strings.Contains(text(r.body), "ASCII") && !strings.Contains(text(r.body), "accent") {
			t.Errorf("an accented email = %d:\n%s", r.code, text(r.body))
		}
		r = u.admin.post(path+"/email", url.Values{"email": {"robert@acme.example"}, "confirm": {"1"}, "back": {"/admin/users"}})
		if r.code != http.StatusSeeOther || !strings.Contains(r.loc, "done=email") {
			t.Fatalf("email confirmed = %d %q %s", r.code, r.loc, text(r.body))
		}
		if ms, _ := e.st.ListOutbox(e.ctx, "bob@acme.example"); len(ms) == 0 {
			t.Errorf("no notice to the old address")
		}
		// SSO on: hidden, with the reason.
		e.enableSSO(u.f.org)
		r = u.admin.get(path)
		if strings.Contains(r.body, `id="edit-email"`) || !strings.Contains(text(r.body), "Edit email is not available: Disable SSO for Acme Hotels") {
			t.Errorf("with SSO on, the details:\n%s", text(r.body))
		}
		if r = u.admin.post(path+"/email", url.Values{"email": {"bobby@acme.example"}, "confirm": {"1"}}); r.code != http.StatusConflict || !strings.Contains(text(r.body), "Disable SSO") {
			t.Errorf("email change with SSO on = %d", r.code)
		}
	})
}

func TestConsoleAddAndRemoveUser(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		u := newUsersEnv(t, e)
		if r := u.admin.get("/admin/users/new"); r.code != http.StatusOK || !strings.Contains(r.body, `id="next-rights"`) {
			t.Fatalf("add user = %d", r.code)
		}
		r := u.admin.post("/admin/users/new", url.Values{"given": {"Zoe"}, "family": {"Zed"}, "email": {"zoe@"}, "step": {"rights"}})
		if r.code != http.StatusBadRequest || !strings.Contains(r.body, `id="n-email-error"`) {
			t.Fatalf("a bad email = %d:\n%s", r.code, text(r.body))
		}
		r = u.admin.post("/admin/users/new", url.Values{"given": {"Zoe"}, "family": {"Zed"}, "email": {"zoe@acme.example"}, "step": {"rights"}})
		if r.code != http.StatusOK || !strings.Contains(r.body, `id="send-invitation"`) || !strings.Contains(r.body, `value="zoe@acme.example"`) {
			t.Fatalf("step 2 = %d:\n%s", r.code, text(r.body))
		}
		// Rule 7 at step 2: shown there, nothing added.
		bad := url.Values{"given": {"Zoe"}, "family": {"Zed"}, "email": {"zoe@acme.example"}, "step": {"send"}, "userType": {"user"}, "subscription": {"none"}, "reportsRole": {"editor"}}
		if r = u.admin.post("/admin/users/new", bad); r.code != http.StatusConflict || !strings.Contains(text(r.body), "professional or supervision") {
			t.Fatalf("rule 7 at add = %d:\n%s", r.code, text(r.body))
		}
		if _, err := e.st.MemberByEmail(e.ctx, u.f.org.ID, "zoe@acme.example"); err == nil {
			t.Fatalf("a refused add added the user")
		}
		bad.Set("subscription", "professional")
		r = u.admin.post("/admin/users/new", bad)
		if r.code != http.StatusCreated || !strings.Contains(text(r.body), "Zoe Zed is now a user of Acme Hotels") || !strings.Contains(text(r.body), "An invitation was sent to zoe@acme.example") {
			t.Fatalf("add = %d:\n%s", r.code, text(r.body))
		}
		e.link("zoe@acme.example", "/invitation")
		zoe, err := e.st.MemberByEmail(e.ctx, u.f.org.ID, "zoe@acme.example")
		e.must(err)
		if zoe.Membership.ReportsRole != store.ReportsEditor {
			t.Errorf("stored %+v", zoe.Membership)
		}
		if r = u.admin.post("/admin/users/new", bad); r.code != http.StatusConflict || !strings.Contains(text(r.body), "already a user of this organization") {
			t.Errorf("twice = %d:\n%s", r.code, text(r.body))
		}
		// Remove: a confirmation naming the person, then gone.
		path := "/admin/users/" + zoe.Account.ID + "/remove"
		if r = u.admin.get(path + "?back=/admin/users"); r.code != http.StatusOK || !strings.Contains(text(r.body), "Remove Zoe Zed (zoe@acme.example) from Acme Hotels?") {
			t.Fatalf("remove confirmation = %d:\n%s", r.code, text(r.body))
		}
		if r = u.admin.post(path, url.Values{"back": {"/admin/users"}}); r.code != http.StatusSeeOther || r.loc != "/admin/users?done=removed" {
			t.Fatalf("remove = %d %q", r.code, r.loc)
		}
		if _, err := e.st.GetMember(e.ctx, u.f.org.ID, zoe.Account.ID); err == nil {
			t.Errorf("still a member after removal")
		}
		// The last admin cannot be removed: no button, the reason.
		if r = u.admin.get("/admin/users/" + u.f.admin.Account.ID); strings.Contains(r.body, `id="remove"`) || !strings.Contains(text(r.body), "last enabled system admin") {
			t.Errorf("the last admin's details:\n%s", text(r.body))
		}
		if r = u.admin.post("/admin/users/"+u.f.admin.Account.ID+"/remove", nil); r.code != http.StatusConflict {
			t.Errorf("remove the last admin = %d", r.code)
		}
		// SSO org: added, no invitation, and why.
		e.enableSSO(u.f.org)
		sso := url.Values{"given": {"Yan"}, "email": {"yan@acme.example"}, "step": {"send"}, "userType": {"user"}, "subscription": {"none"}, "reportsRole": {"no_access"}}
		if r = u.admin.post("/admin/users/new", sso); r.code != http.StatusCreated || !strings.Contains(text(r.body), "No invitation was sent: Acme Hotels signs in through SSO") {
			t.Errorf("add in an SSO org = %d:\n%s", r.code, text(r.body))
		}
	})
}

func TestConsoleBulk(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		u := newUsersEnv(t, e)
		cat := u.member("cat@acme.example", func(n *store.NewMember) { n.GivenName = "Cat" })
		dan := u.member("dan@acme.example", func(n *store.NewMember) { n.GivenName, n.Subscription = "Dan", store.SubscriptionProfessional })
		r := u.admin.get("/admin/users/bulk?back=/admin/users&id=" + cat.Account.ID + "&id=" + dan.Account.ID)
		if r.code != http.StatusOK || !strings.Contains(text(r.body), "2 selected users") || !strings.Contains(r.body, `id="apply"`) {
			t.Fatalf("bulk form = %d:\n%s", r.code, text(r.body))
		}
		if r = u.admin.get("/admin/users/bulk"); r.code != http.StatusBadRequest || !strings.Contains(text(r.body), "Select at least one user") {
			t.Errorf("no selection = %d", r.code)
		}
		// Rule 7 refuses Cat (no subscription), Dan is changed; the report names Cat.
		r = u.admin.post("/admin/users/bulk", url.Values{"id": {cat.Account.ID, dan.Account.ID}, "reportsRole": {"viewer"}})
		page := text(r.body)
		if r.code != http.StatusOK || !strings.Contains(page, "1 changed, 1 refused.") || !strings.Contains(page, "Cat") || !strings.Contains(page, "rule 7") {
			t.Fatalf("bulk = %d:\n%s", r.code, page)
		}
		if m, _ := e.st.GetMember(e.ctx, u.f.org.ID, dan.Account.ID); m.Membership.ReportsRole != store.ReportsViewer {
			t.Errorf("Dan not changed")
		}
		if r = u.admin.post("/admin/users/bulk", url.Values{"id": {cat.Account.ID}}); r.code != http.StatusBadRequest || !strings.Contains(text(r.body), "Choose at least one change") {
			t.Errorf("no change = %d", r.code)
		}
		// "All N users" matching a filter, across pages.
		r = u.admin.get("/admin/users/bulk?all=1&type=user")
		if !strings.Contains(text(r.body), "Every user matching the search and filters: 3 users.") {
			t.Fatalf("all:\n%s", text(r.body))
		}
		r = u.admin.post("/admin/users/bulk", url.Values{"all": {"1"}, "type": {"user"}, "subscription_to": {"contributor"}, "reportsRole": {"no_access"}})
		if !strings.Contains(text(r.body), "3 changed, 0 refused.") {
			t.Fatalf("all = %d:\n%s", r.code, text(r.body))
		}
		if m, _ := e.st.GetMember(e.ctx, u.f.org.ID, u.f.admin.Account.ID); m.Membership.Subscription == store.SubscriptionContributor {
			t.Errorf("the filter was not kept: the admin changed")
		}
	})
}

func TestConsoleSettings(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		u := newUsersEnv(t, e)
		if r := u.admin.get("/admin/settings"); r.code != http.StatusOK || !strings.Contains(text(r.body), "Custom email sender") {
			t.Fatalf("settings = %d", r.code)
		}
		r := u.admin.post("/admin/settings", url.Values{"senderName": {"Acme HR"}, "senderEmail": {"hr@ac\u00e8me.example"}})
		if r.code != http.StatusBadRequest || !strings.Contains(r.body, `id="sender-error"`) || !strings.Contains(r.body, `value="Acme HR"`) {
			t.Fatalf("a bad sender = %d:\n%s", r.code, text(r.body))
		}
		if r = u.admin.post("/admin/settings", url.Values{"senderName": {"Acme HR"}, "senderEmail": {"hr@acme.example"}}); r.code != http.StatusSeeOther {
			t.Fatalf("save sender = %d %s", r.code, text(r.body))
		}
		if o, _ := e.st.GetOrg(e.ctx, u.f.org.ID); o.SenderEmail != "hr@acme.example" || o.SenderName != "Acme HR" {
			t.Errorf("stored %q %q", o.SenderName, o.SenderEmail)
		}
		if r = u.admin.get("/admin/settings?done=sender"); !strings.Contains(text(r.body), "The email sender is saved.") {
			t.Errorf("no notice")
		}
	})
}

func TestConsoleItalian(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	admin := e.browser()
	admin.mustSignIn("ada@acme.example", f.password)
	req, _ := http.NewRequest(http.MethodGet, e.base+"/admin/users", nil)
	req.Header.Set("Accept-Language", "it-IT,it;q=0.9,en;q=0.8")
	r := admin.do(req)
	page := text(r.body)
	for _, want := range []string{"Utenti (2)", "Tutti gli stati", "Tutti i tipi di utente", "Tutte le sottoscrizioni", "Scarica", "Aggiungi utente", "Attivo"} {
		if !strings.Contains(page, want) {
			t.Errorf("the Italian page lacks %q:\n%s", want, page)
		}
	}
	if !strings.Contains(r.body, `<html lang="it">`) {
		t.Errorf("no lang=it")
	}
	// The switcher: English kept in a cookie, back to the page.
	if r = admin.post("/lang", url.Values{"lang": {"en"}, "return_to": {"/admin/users?q=a"}}); r.code != http.StatusSeeOther || r.loc != "/admin/users?q=a" {
		t.Fatalf("switch = %d %q", r.code, r.loc)
	}
	r = admin.do(req)
	if !strings.Contains(text(r.body), "All statuses") {
		t.Errorf("the switcher's English did not win over Accept-Language")
	}
	if r = admin.post("/lang", url.Values{"lang": {"fr"}}); r.code != http.StatusBadRequest {
		t.Errorf("lang=fr = %d", r.code)
	}
}

// TestItalianCatalogue checks that every text the templates translate has
// its Italian.
func TestItalianCatalogue(t *testing.T) {
	ents, err := os.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	re := regexp.MustCompile(`\bt (?:\$l|\$?\.Lang) "((?:[^"\\]|\\.)*)"`)
	for _, en := range ents {
		b, err := os.ReadFile("templates/" + en.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = true
		}
	}
	for _, k := range []string{"Name", "Email", "Status", "User type", "Subscription", "Last sign-in", "Active", "Pending", "Inactive", "Disabled",
		"System admin", "User", "None", "Contributor", "Professional", "Supervision", "No access", "Viewer", "Editor"} {
		keys[k] = true
	}
	if len(keys) < 50 {
		t.Fatalf("found %d texts in the templates: the pattern no longer matches", len(keys))
	}
	for k := range keys {
		if !web.HasItalian(k) {
			t.Errorf("no Italian for %q", k)
		}
	}
}

// TestSignInAndAccountInItalian: the sign-in and account pages follow
// Accept-Language and the switcher too.
func TestSignInAndAccountInItalian(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	b := e.browser()
	it := func(path string) resp {
		req, _ := http.NewRequest(http.MethodGet, e.base+path, nil)
		req.Header.Set("Accept-Language", "it")
		return b.do(req)
	}
	r := it("/login")
	if page := text(r.body); !strings.Contains(r.body, `<html lang="it">`) || !strings.Contains(page, "E-mail di lavoro o dominio dell'azienda") ||
		!strings.Contains(page, "Hai dimenticato il tuo nome utente?") || !strings.Contains(r.body, `name="lang" value="en"`) {
		t.Fatalf("/login in Italian:\n%s", page)
	}
	if r = b.get("/login"); !strings.Contains(text(r.body), "Work email or company domain") {
		t.Errorf("/login without Accept-Language is not English")
	}
	b.mustSignIn("bob@acme.example", f.password)
	if page := text(it("/account").body); !strings.Contains(page, "Modifica password") || !strings.Contains(page, "Il tuo account") {
		t.Errorf("/account in Italian:\n%s", page)
	}
}
