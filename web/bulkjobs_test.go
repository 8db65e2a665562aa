package web_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/web"
)

type bulkJobOut struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Total     int    `json:"total"`
	Done      int    `json:"done"`
	Changed   int    `json:"changed"`
	Refused   int    `json:"refused"`
	URL       string `json:"url"`
	ReportURL string `json:"reportUrl"`
}

// TestBulkJobAPI: over the threshold a bulk change becomes a stored job
// (202), run by a worker; its progress and its report have their routes.
func TestBulkJobAPI(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnvOn(t, kind, web.Options{BulkJobThreshold: 3}, nil)
			u := newUsersEnv(t, e)
			cat := u.member("cat@acme.example", func(n *store.NewMember) { n.FamilyName = "Bulk" })
			u.member("dan@acme.example", func(n *store.NewMember) { n.FamilyName = "Bulk" })

			// At the threshold, the change runs in the request.
			var b bulkOut
			r := u.admin.api(http.MethodPost, u.base+"/users/bulk", map[string]any{"all": true, "q": "acme.example", "type": []string{"user"},
				"changes": map[string]any{"subscription": "contributor"}}, &b)
			if r.code != http.StatusOK || b.Changed != 3 {
				t.Fatalf("bulk of 3 = %d %s, want 200 with 3 changed", r.code, r.body)
			}

			// Over it (4 users, the admin's own subscription refused by rule 6): a job.
			var j bulkJobOut
			r = u.admin.api(http.MethodPost, u.base+"/users/bulk", map[string]any{"all": true, "changes": map[string]any{"subscription": "professional"}}, &j)
			if r.code != http.StatusAccepted || j.ID == "" || j.Status != "queued" || j.Total != 4 || r.h.Get("Location") != j.URL {
				t.Fatalf("bulk of 4 = %d %s (Location %q), want 202 with a queued job of 4", r.code, r.body, r.h.Get("Location"))
			}
			if d := u.detailsOf(cat.Account.ID); d.Subscription != "contributor" {
				t.Fatalf("the request ran the job itself: cat is %s", d.Subscription)
			}
			var got bulkJobOut
			if r = u.admin.api(http.MethodGet, j.URL, nil, &got); r.code != http.StatusOK || got.Done != 0 || got.Total != 4 {
				t.Fatalf("job before the worker = %d %s", r.code, r.body)
			}
			// Another org's admin, an unknown or malformed id: 404.
			gus := e.browser()
			gus.mustSignIn("gus@globex.example", u.f.password)
			if r = gus.api(http.MethodGet, "/api/orgs/"+u.f.other.ID+"/bulk-jobs/"+j.ID, nil, nil); r.code != http.StatusNotFound {
				t.Errorf("another org's job = %d, want 404", r.code)
			}
			if r = gus.api(http.MethodGet, "/api/orgs/"+u.f.other.ID+"/bulk-jobs/"+j.ID+"/report.csv", nil, nil); r.code != http.StatusNotFound {
				t.Errorf("another org's report = %d, want 404", r.code)
			}
			for _, id := range []string{"0190f3a2-0000-7000-8000-000000000000", "nope"} {
				if r = u.admin.api(http.MethodGet, u.base+"/bulk-jobs/"+id, nil, nil); r.code != http.StatusNotFound {
					t.Errorf("job %s = %d, want 404", id, r.code)
				}
			}

			if n, err := e.st.WorkBulkJobs(e.ctx, nil); err != nil || n != 1 {
				t.Fatalf("worker: %d jobs, %v", n, err)
			}
			if r = u.admin.api(http.MethodGet, j.URL, nil, &got); got.Status != "done" || got.Done != 4 || got.Total != 4 || got.Changed != 3 || got.Refused != 1 {
				t.Fatalf("job after the worker = %s", r.body)
			}
			if d := u.detailsOf(cat.Account.ID); d.Subscription != "professional" {
				t.Errorf("cat after the job is %s", d.Subscription)
			}
			r = u.admin.get(j.ReportURL)
			rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
			if r.code != http.StatusOK || err != nil || len(rows) != 2 || !strings.HasPrefix(r.h.Get("Content-Type"), "text/csv") {
				t.Fatalf("report = %d %q %v", r.code, r.body, err)
			}
			if row := rows[1]; row[0] != u.f.admin.Account.ID || row[2] != "ada@acme.example" || row[3] != "refused" || row[4] != "6" || row[5] == "" {
				t.Errorf("report row = %q, want the admin refused by rule 6", row)
			}
			// Ids over the threshold too.
			ids := []string{u.f.user.Account.ID, cat.Account.ID, u.f.admin.Account.ID, u.f.outsider.Account.ID}
			r = u.admin.api(http.MethodPost, u.base+"/users/bulk", map[string]any{"ids": ids, "changes": map[string]any{"reportsRole": "viewer"}}, &j)
			if r.code != http.StatusAccepted || j.Total != 4 {
				t.Fatalf("bulk of 4 ids = %d %s", r.code, r.body)
			}
			if n, err := e.st.WorkBulkJobs(e.ctx, nil); err != nil || n != 1 {
				t.Fatalf("worker: %d jobs, %v", n, err)
			}
			if u.admin.api(http.MethodGet, j.URL, nil, &got); got.Changed != 2 || got.Refused != 2 {
				t.Errorf("job of ids = %+v, want 2 changed, and the admin (rule 7) and another org's user refused", got)
			}
		})
	}
}

// TestConsoleBulkJob: the console's bulk change over the threshold shows the
// job's progress, then its report and the download.
func TestConsoleBulkJob(t *testing.T) {
	e := newEnvOn(t, "sqlite", web.Options{BulkJobThreshold: 1}, nil)
	u := newUsersEnv(t, e)
	cat := u.member("cat@acme.example", func(n *store.NewMember) { n.GivenName = "Cat" })
	r := u.admin.post("/admin/users/bulk", url.Values{"id": {cat.Account.ID, u.f.user.Account.ID}, "reportsRole": {"viewer"}})
	if r.code != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/admin/users/bulk/jobs/") {
		t.Fatalf("bulk over the threshold = %d %q", r.code, r.loc)
	}
	jobPage := r.loc
	r = u.admin.get(jobPage)
	page := text(r.body)
	if r.code != http.StatusOK || !strings.Contains(page, "0 of 2 users processed: 0 changed, 0 refused.") || !strings.Contains(r.body, `data-poll="1"`) {
		t.Fatalf("job page = %d:\n%s", r.code, page)
	}
	if n, err := e.st.WorkBulkJobs(e.ctx, nil); err != nil || n != 1 {
		t.Fatalf("worker: %d jobs, %v", n, err)
	}
	r = u.admin.get(jobPage)
	page = text(r.body)
	// Rule 7: Cat and Bob have no subscription for a viewer role.
	if r.code != http.StatusOK || !strings.Contains(page, "2 of 2 users processed: 0 changed, 2 refused.") || !strings.Contains(page, "Cat") ||
		!strings.Contains(page, "rule 7") || strings.Contains(r.body, "data-poll") || !strings.Contains(r.body, "report.csv") {
		t.Fatalf("finished job page = %d:\n%s", r.code, page)
	}
	if r = u.admin.get("/admin/users/bulk/jobs/0190f3a2-0000-7000-8000-000000000000"); r.code != http.StatusNotFound {
		t.Errorf("unknown job page = %d, want 404", r.code)
	}
}
