package web_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/web"
)

// export downloads the export of query and returns its rows.
func (u usersEnv) export(query string) (resp, [][]string) {
	u.t.Helper()
	r := u.admin.get(u.base + "/users/export.xlsx?" + query)
	if r.code != http.StatusOK {
		return r, nil
	}
	f, err := excelize.OpenReader(strings.NewReader(r.body))
	if err != nil {
		u.t.Fatalf("the export is no xlsx: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("Users")
	u.must(err)
	return r, rows
}

func TestUsersAPIExport(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		u := newUsersEnv(t, e)
		sup := store.SupportActor("test")
		cat := u.member("cat@acme.example", func(n *store.NewMember) {
			n.GivenName, n.FamilyName, n.Invite, n.Subscription, n.ReportsRole = "Cat", "Zeta", true, store.SubscriptionProfessional, store.ReportsViewer
		})
		for _, m := range []string{"dan", "eve", "fay", "gil"} {
			u.member(m + "@acme.example")
		}
		for _, g := range []string{"Zulu", "alpha"} {
			_, err := e.st.CreateGroup(e.ctx, sup, u.f.org.ID, store.NewGroup{DisplayName: g, Members: []store.GroupMember{{AccountID: cat.Account.ID, Role: store.GroupRoleMember}}})
			e.must(err)
		}
		u.admin.mustSignIn("ada@acme.example", u.f.password) // a last sign-in for Ada

		for _, query := range []string{"", "sort=email&order=desc", "status=inactive&sort=name", "q=zeta", "subscription=supervision"} {
			r, rows := u.export(query)
			if r.code != http.StatusOK {
				t.Fatalf("export %q = %d %s", query, r.code, r.body)
			}
			if cd := r.h.Get("Content-Disposition"); !strings.Contains(cd, `filename="Acme Hotels Users.xlsx"`) {
				t.Fatalf("Content-Disposition = %q", cd)
			}
			if len(rows) == 0 || !slices.Equal(rows[0], []string{"Name", "Email", "Status", "User type", "Subscription", "Reports role", "UID", "Groups",
				"Invited", "Activated", "Last sign-in"}) {
				t.Fatalf("header row = %v", rows)
			}
			var l listOut
			u.admin.api(http.MethodGet, u.base+"/users?limit=1000&"+query, nil, &l)
			var got, want []string
			for _, row := range rows[1:] {
				got = append(got, row[1]+" "+row[6])
			}
			for _, x := range l.Users {
				want = append(want, x.Email+" "+x.ID)
			}
			if !slices.Equal(got, want) {
				t.Errorf("export %q rows = %v, want the list's %v", query, got, want)
			}
		}
		_, rows := u.export("q=zeta")
		// GetRows leaves out trailing empty cells: Cat was never activated nor signed in.
		if row := rows[1]; len(row) != 9 || row[0] != "Cat Zeta" || row[2] != "Pending" || row[3] != "User" || row[4] != "Professional" ||
			row[5] != "Viewer" || row[7] != "alpha, Zulu" || !strings.HasSuffix(row[8], " UTC") {
			t.Errorf("Cat's row = %q", row)
		}
		_, rows = u.export("type=system_admin")
		if row := rows[1]; len(row) != 11 || row[1] != "ada@acme.example" || row[3] != "System admin" || !strings.HasSuffix(row[10], " UTC") {
			t.Errorf("Ada's row = %q, want a last sign-in", row)
		}
		if r, _ := u.export("status=gone"); r.code != http.StatusBadRequest {
			t.Errorf("bad filter = %d, want 400", r.code)
		}
		outsider := e.browser()
		outsider.mustSignIn("gus@globex.example", u.f.password)
		if r := outsider.get(u.base + "/users/export.xlsx"); r.code != http.StatusNotFound {
			t.Errorf("another org's admin exports = %d, want 404", r.code)
		}
	})
}

// An export outlives the server's write timeout, which is sized for pages:
// a big org's file takes longer to build than one page.
func TestUsersExportOutlivesWriteTimeout(t *testing.T) {
	e := newEnv(t, web.Options{})
	u := newUsersEnv(t, e)
	for _, m := range []string{"dan", "eve", "fay"} {
		u.member(m + "@acme.example")
	}
	u.admin.mustSignIn("ada@acme.example", u.f.password)
	e.srv.Config.WriteTimeout = time.Nanosecond // every response is past it before its first byte
	e.srv.CloseClientConnections()
	r, rows := u.export("")
	if r.code != http.StatusOK || len(rows) < 5 {
		t.Fatalf("export past the write timeout = %d, %d rows", r.code, len(rows))
	}
}
