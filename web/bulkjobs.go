package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/idbridge/idbridge/store"
)

// A bulk change of more users than Options.BulkJobThreshold runs as a job
// stored in the database (store/bulkjobs.go), run by a replica's worker: the
// API answers 202 with the job, whose progress and report have their own
// routes, and the console shows its progress.

// DefaultBulkJobThreshold is the most users a bulk change handles inside
// the request.
const DefaultBulkJobThreshold = 200

func (w *Web) bulkJobThreshold() int {
	if w.opt.BulkJobThreshold > 0 {
		return w.opt.BulkJobThreshold
	}
	return DefaultBulkJobThreshold
}

// bulkJobJSON is a job's progress: Done of Total processed, of which
// Changed and Refused.
type bulkJobJSON struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	Total     int       `json:"total"`
	Done      int       `json:"done"`
	Changed   int       `json:"changed"`
	Refused   int       `json:"refused"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	URL       string    `json:"url"`
	ReportURL string    `json:"reportUrl"`
}

func bulkJobView(j store.BulkJob) bulkJobJSON {
	base := "/api/orgs/" + j.OrgID + "/bulk-jobs/" + j.ID
	return bulkJobJSON{ID: j.ID, Status: string(j.Status), Total: j.Total, Done: j.Done, Changed: j.Changed, Refused: j.Refused,
		CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt, URL: base, ReportURL: base + "/report.csv"}
}

// bulkAsJob stores the change as a job when it selects more users than the
// threshold; job is nil when the change is to run in the request.
func (w *Web) bulkAsJob(ctx context.Context, actor store.Actor, orgID string, ids []string, q *store.MemberQuery, change store.MembershipChange) (*bulkJobJSON, error) {
	n := len(ids)
	if q != nil {
		c := *q
		c.Limit = 1
		var err error
		if _, n, err = w.st.ListMembers(ctx, orgID, c); err != nil {
			return nil, err
		}
	}
	if n <= w.bulkJobThreshold() {
		return nil, nil
	}
	j, err := w.st.CreateBulkJob(ctx, actor, orgID, ids, q, change)
	if err != nil {
		return nil, err
	}
	v := bulkJobView(j)
	return &v, nil
}

// apiGetBulkJob answers a job's progress.
func (w *Web) apiGetBulkJob(rw http.ResponseWriter, r *http.Request) {
	j, err := w.st.GetBulkJob(r.Context(), chi.URLParam(r, "org"), chi.URLParam(r, "id"))
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	writeJSON(rw, http.StatusOK, bulkJobView(j))
}

// bulkReportRow is one refused user of a job's report.
type bulkReportRow struct {
	ID, Name, Email, Error string
	Rule                   int
}

// bulkJobReport lists a job's refusals with the users' names and emails (as
// they are now; a user gone since shows the id alone).
func (w *Web) bulkJobReport(ctx context.Context, orgID, id string) ([]bulkReportRow, error) {
	rs, err := w.st.ListBulkJobResults(ctx, orgID, id)
	if err != nil {
		return nil, err
	}
	out := make([]bulkReportRow, len(rs))
	for i, res := range rs {
		out[i] = bulkReportRow{ID: res.AccountID, Error: res.Sentence, Rule: int(res.Rule)}
		if m, err := w.st.GetMember(ctx, orgID, res.AccountID); err == nil {
			u := userView(m)
			out[i].Name, out[i].Email = u.Name, u.Email
		}
	}
	return out, nil
}

// apiBulkJobReport downloads a job's per-user report: every refused user
// with the rule and its sentence (the others were changed).
func (w *Web) apiBulkJobReport(rw http.ResponseWriter, r *http.Request) {
	orgID, id := chi.URLParam(r, "org"), chi.URLParam(r, "id")
	rows, err := w.bulkJobReport(r.Context(), orgID, id)
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	rw.Header().Set("Content-Type", "text/csv; charset=utf-8")
	rw.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="bulk-%s.csv"`, id))
	cw := csv.NewWriter(rw)
	_ = cw.Write([]string{"id", "name", "email", "outcome", "rule", "reason"})
	for _, x := range rows {
		rule := ""
		if x.Rule > 0 {
			rule = strconv.Itoa(x.Rule)
		}
		_ = cw.Write([]string{x.ID, csvCell(x.Name), csvCell(x.Email), "refused", rule, csvCell(x.Error)})
	}
	cw.Flush()
}

// csvCell keeps a spreadsheet from reading a cell as a formula.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// bulkJobPage is the console's view of a job.
type bulkJobPage struct {
	bulkJobJSON
	Finished bool
	Refusals []bulkRefusal
}

// consoleBulkJob shows a job's progress and, once it is done, its report.
func (w *Web) consoleBulkJob(rw http.ResponseWriter, r *http.Request, s store.Session) {
	j, err := w.st.GetBulkJob(r.Context(), s.OrgID, chi.URLParam(r, "id"))
	if err != nil {
		w.consoleFail(rw, r, err)
		return
	}
	p := &bulkJobPage{bulkJobJSON: bulkJobView(j), Finished: j.Status == store.BulkJobDone || j.Status == store.BulkJobFailed}
	if p.Finished {
		rows, err := w.bulkJobReport(r.Context(), s.OrgID, j.ID)
		if err != nil {
			w.consoleFail(rw, r, err)
			return
		}
		for _, x := range rows {
			p.Refusals = append(p.Refusals, bulkRefusal{Name: x.Name, Email: x.Email, Error: sentence(x.Error), Rule: x.Rule})
		}
	}
	w.renderConsole(rw, r, http.StatusOK, "admin_bulk", "users", "Edit user types and subscriptions",
		console{Back: backTo(r.FormValue("back")), Job: p})
}
