package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/idbridge/idbridge/store"
)

const scimRequestCols = `seq, org_id, at, token_id, token_name, method, path, filter, status, duration_micros,
	error_type, error_detail, rule, rule_sentence, request_body, response_body`

// scimRequestRows is how many records one INSERT carries (16 values each,
// within chunkSize).
const scimRequestRows = chunkSize / 16

// InsertSCIMRequests appends records, several per statement.
func (t *Tx) InsertSCIMRequests(ctx context.Context, rs []store.SCIMRequest) error {
	for len(rs) > 0 {
		n := min(len(rs), scimRequestRows)
		var a args
		rows := make([]string, 0, n)
		for _, r := range rs[:n] {
			org, err := id(r.OrgID)
			if err != nil {
				return err
			}
			rows = append(rows, `(`+strings.Join([]string{a.add(org), a.add(t.time(r.At)), a.add(r.TokenID), a.add(r.TokenName),
				a.add(r.Method), a.add(r.Path), a.add(r.Filter), a.add(r.Status), a.add(r.DurationMicros), a.add(r.ErrorType),
				a.add(r.ErrorDetail), a.add(r.Rule), a.add(r.RuleSentence), a.add(r.RequestBody), a.add(r.ResponseBody)}, ", ")+`)`)
		}
		if _, err := t.exec(ctx, "insert scim requests", `INSERT INTO scim_requests (org_id, at, token_id, token_name,
			method, path, filter, status, duration_micros, error_type, error_detail, rule, rule_sentence, request_body,
			response_body) VALUES `+strings.Join(rows, ", "), a...); err != nil {
			return err
		}
		rs = rs[n:]
	}
	return nil
}

// logWhere is the condition common to both logs: the org, the period and
// the page.
func (t *Tx) logWhere(a *args, orgID string, q store.LogQuery) []string {
	where := []string{`org_id = ` + a.add(orgID)}
	if !q.Since.IsZero() {
		where = append(where, `at >= `+a.add(t.time(q.Since)))
	}
	if !q.Until.IsZero() {
		where = append(where, `at < `+a.add(t.time(q.Until)))
	}
	if q.Before > 0 {
		where = append(where, `seq < `+a.add(q.Before))
	}
	return where
}

// contains is a case-insensitive substring match of col on s.
func contains(a *args, col, s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return `lower(` + col + `) LIKE ` + a.add("%"+r.Replace(strings.ToLower(s))+"%") + ` ESCAPE '\'`
}

// ListSCIMRequests returns the org's records matching q, newest first.
func (t *Tx) ListSCIMRequests(ctx context.Context, orgID string, q store.LogQuery) ([]store.SCIMRequest, error) {
	if _, err := id(orgID); err != nil {
		return nil, nil
	}
	var a args
	where := t.logWhere(&a, orgID, q)
	if q.StatusClass > 0 {
		where = append(where, `status >= `+a.add(q.StatusClass*100)+` AND status < `+a.add(q.StatusClass*100+100))
	}
	if q.Method != "" {
		where = append(where, `method = `+a.add(q.Method))
	}
	if q.User != "" {
		where = append(where, `(`+contains(&a, "path", q.User)+` OR `+contains(&a, "filter", q.User)+`)`)
	}
	return t.scimRequests(ctx, `SELECT `+scimRequestCols+` FROM scim_requests WHERE `+strings.Join(where, " AND ")+
		` ORDER BY seq DESC LIMIT `+a.add(limit(q.Limit)), a)
}

// GetSCIMRequest returns one record of the org.
func (t *Tx) GetSCIMRequest(ctx context.Context, orgID string, seq int64) (store.SCIMRequest, error) {
	if _, err := id(orgID); err != nil {
		return store.SCIMRequest{}, err
	}
	rs, err := t.scimRequests(ctx, `SELECT `+scimRequestCols+` FROM scim_requests WHERE org_id = $1 AND seq = $2`, args{orgID, seq})
	if err == nil && len(rs) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.SCIMRequest{}, err
	}
	return rs[0], nil
}

func (t *Tx) scimRequests(ctx context.Context, sql string, a args) ([]store.SCIMRequest, error) {
	var out []store.SCIMRequest
	err := t.queryAll(ctx, "list scim requests", sql, a, func(r Rows) error {
		var s store.SCIMRequest
		err := r.Scan(&s.Seq, textScan{&s.OrgID}, timeScan{&s.At}, &s.TokenID, &s.TokenName, &s.Method, &s.Path, &s.Filter,
			&s.Status, &s.DurationMicros, &s.ErrorType, &s.ErrorDetail, &s.Rule, &s.RuleSentence, &s.RequestBody, &s.ResponseBody)
		out = append(out, s)
		return err
	})
	return out, err
}

// DeleteSCIMRequestsBefore deletes records older than before.
func (t *Tx) DeleteSCIMRequestsBefore(ctx context.Context, before time.Time) (int, error) {
	n, err := t.exec(ctx, "purge scim requests", `DELETE FROM scim_requests WHERE at < $1`, t.time(before))
	return int(n), err
}

const signInAttemptCols = `seq, org_id, at, connection_id, connection_name, outcome, test, email, detail`

// InsertSignInAttempt appends an attempt.
func (t *Tx) InsertSignInAttempt(ctx context.Context, s store.SignInAttempt) error {
	org, err := id(s.OrgID)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, "insert sign-in attempt", `INSERT INTO sign_in_attempts (org_id, at, connection_id,
		connection_name, outcome, test, email, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		org, t.time(s.At), s.ConnectionID, s.ConnectionName, s.Outcome, s.Test, s.Email, s.Detail)
	return err
}

// ListSignInAttempts returns the org's attempts matching q, newest first.
func (t *Tx) ListSignInAttempts(ctx context.Context, orgID string, q store.LogQuery) ([]store.SignInAttempt, error) {
	if _, err := id(orgID); err != nil {
		return nil, nil
	}
	var a args
	where := t.logWhere(&a, orgID, q)
	if q.Outcome != "" {
		where = append(where, `outcome = `+a.add(q.Outcome))
	}
	if q.Failed {
		where = append(where, `outcome <> `+a.add(store.OutcomeSuccess))
	}
	if q.Email != "" {
		where = append(where, contains(&a, "email", q.Email))
	}
	var out []store.SignInAttempt
	err := t.queryAll(ctx, "list sign-in attempts", `SELECT `+signInAttemptCols+` FROM sign_in_attempts WHERE `+
		strings.Join(where, " AND ")+` ORDER BY seq DESC LIMIT `+a.add(limit(q.Limit)), a, func(r Rows) error {
		var s store.SignInAttempt
		err := r.Scan(&s.Seq, textScan{&s.OrgID}, timeScan{&s.At}, &s.ConnectionID, &s.ConnectionName, &s.Outcome,
			&s.Test, &s.Email, &s.Detail)
		out = append(out, s)
		return err
	})
	return out, err
}

// DeleteSignInAttemptsBefore deletes attempts older than before.
func (t *Tx) DeleteSignInAttemptsBefore(ctx context.Context, before time.Time) (int, error) {
	n, err := t.exec(ctx, "purge sign-in attempts", `DELETE FROM sign_in_attempts WHERE at < $1`, t.time(before))
	return int(n), err
}
