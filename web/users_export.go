package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/xuri/excelize/v2"

	"github.com/idbridge/idbridge/store"
)

// exportTimeout bounds one export's response, past the server's write timeout.
const exportTimeout = 15 * time.Minute

// exportPageSize is how many users an export reads at a time.
var exportPageSize = store.MaxPageSize

// exportHeader is the first row of an export.
var exportHeader = []any{"Name", "Email", "Status", "User type", "Subscription", "Reports role", "UID", "Groups",
	"Invited", "Activated", "Last sign-in"}

var exportLabels = map[string]string{
	string(store.StatusActive): "Active", string(store.StatusPending): "Pending", string(store.StatusInactive): "Inactive",
	string(store.StatusDisabled): "Disabled", string(store.UserTypeSystemAdmin): "System admin", string(store.UserTypeUser): "User",
	string(store.SubscriptionNone): "None", string(store.SubscriptionContributor): "Contributor",
	string(store.SubscriptionProfessional): "Professional", string(store.SubscriptionSupervision): "Supervision",
	string(store.ReportsNoAccess): "No access", string(store.ReportsViewer): "Viewer", string(store.ReportsEditor): "Editor",
}

// exportTime is a time cell: UTC, sortable text; "" for never.
func exportTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// apiExportUsers answers every user matching the search, filters and sort
// of the list (all pages) as "<Org name> Users.xlsx".
func (w *Web) apiExportUsers(rw http.ResponseWriter, r *http.Request) {
	q, err := listQuery(r.URL.Query())
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	ctx, orgID := r.Context(), chi.URLParam(r, "org")
	// The server's write timeout fits pages, not a file of every member:
	// an export gets exportTimeout from now.
	_ = http.NewResponseController(rw).SetWriteDeadline(time.Now().Add(exportTimeout))
	f, name, err := ExportUsers(ctx, w.st, orgID, q)
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	defer func() { _ = f.Close() }()
	rw.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	rw.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, asciiFilename(name), url.PathEscape(name)))
	if err := f.Write(rw); err != nil {
		w.log.Warn("web.export_write_failed", "err", err, "org", orgID)
	}
}

// ExportUsers writes every member of the org matching q (all pages, in q's
// order) to a workbook, rows written through excelize's StreamWriter a page
// of users at a time, and returns it with its file name, "<Org name>
// Users.xlsx". The admin API and the operator CLI both use it.
func ExportUsers(ctx context.Context, st *store.Store, orgID string, q store.MemberQuery) (*excelize.File, string, error) {
	org, err := st.GetOrg(ctx, orgID)
	if err != nil {
		return nil, "", err
	}
	f := excelize.NewFile()
	fail := func(err error) (*excelize.File, string, error) {
		_ = f.Close()
		return nil, "", err
	}
	const sheet = "Users"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fail(err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fail(err)
	}
	if err := sw.SetRow("A1", exportHeader); err != nil {
		return fail(err)
	}
	q.Limit = exportPageSize
	row, cursor := 2, ""
	for {
		p, err := st.ListMembersPage(ctx, orgID, q, cursor)
		if err != nil {
			return fail(err)
		}
		ids := make([]string, len(p.Members))
		for i, m := range p.Members {
			ids[i] = m.Account.ID
		}
		x, err := st.GetMemberExtras(ctx, orgID, ids)
		if err != nil {
			return fail(err)
		}
		for _, m := range p.Members {
			u := userView(m)
			var last *time.Time
			if t, ok := x.LastSignIn[u.ID]; ok {
				last = &t
			}
			cell, _ := excelize.CoordinatesToCellName(1, row)
			if err := sw.SetRow(cell, []any{u.Name, u.Email, exportLabels[string(u.Status)], exportLabels[string(u.UserType)],
				exportLabels[string(u.Subscription)], exportLabels[string(u.ReportsRole)], u.ID, strings.Join(x.Groups[u.ID], ", "),
				exportTime(u.InvitedAt), exportTime(u.ActivatedAt), exportTime(last)}); err != nil {
				return fail(err)
			}
			row++
		}
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	if err := sw.Flush(); err != nil {
		return fail(err)
	}
	return f, org.Name + " Users.xlsx", nil
}

// asciiFilename is the filename= fallback: printable ASCII, no quotes or backslashes.
func asciiFilename(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, s)
}
