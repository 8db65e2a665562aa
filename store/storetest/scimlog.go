package storetest

import (
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/idbridge/idbridge/store"
)

var scimLogTests = []test{
	{name: "scim_log_filters_and_pages", fn: testSCIMLogFilters},
	{name: "sign_in_attempts_filters", fn: testSignInAttempts},
}

// scimLogSerialTests purge service-wide: serial.
var scimLogSerialTests = []test{
	{name: "scim_log_purge", fn: testSCIMLogPurge},
}

func seqs[T any](rs []T, seq func(T) int64) []int64 {
	out := make([]int64, len(rs))
	for i, r := range rs {
		out[i] = seq(r)
	}
	return out
}

func reqSeq(r store.SCIMRequest) int64 { return r.Seq }

// listAll walks every page of the org's SCIM log for q.
func (e *env) listAll(orgID string, q store.LogQuery) []store.SCIMRequest {
	e.Helper()
	var all []store.SCIMRequest
	for {
		page, next, err := e.s.ListSCIMRequests(e.ctx, orgID, q)
		e.ok(err, "ListSCIMRequests")
		all = append(all, page...)
		if next == "" {
			return all
		}
		q.Before = must(store.ParseLogCursor(next))(e)
	}
}

func testSCIMLogFilters(e *env) {
	org, other := uuid.NewString(), uuid.NewString()
	t0 := e.clock.Now()
	mk := func(min int, method, path, filter string, status int) store.SCIMRequest {
		return store.SCIMRequest{OrgID: org, At: t0.Add(time.Duration(min) * time.Minute), TokenName: "Entra",
			Method: method, Path: path, Filter: filter, Status: status, DurationMicros: 1500}
	}
	rs := []store.SCIMRequest{
		mk(0, "GET", "/Users", `userName eq "Ann@Example.com"`, 200),
		mk(1, "POST", "/Users", "", 201),
		mk(2, "PATCH", "/Users/9f0c", "", 400),
		mk(3, "GET", "/Users/abc", "", 404),
		mk(4, "DELETE", "/Users/9F0C", "", 503),
	}
	rs[2].ErrorType, rs[2].Rule, rs[2].RuleSentence = "mutability", 1, "The email is managed by SSO."
	rs[2].RequestBody = `{"Operations":[]}`
	// 40 more rows, to fill several pages, in one batch with the others.
	for i := range 40 {
		rs = append(rs, mk(10+i, "GET", "/Groups", "", 200))
	}
	rs = append(rs, store.SCIMRequest{OrgID: other, At: t0, Method: "GET", Path: "/Users", Status: 200})
	e.ok(e.s.RecordSCIMRequests(e.ctx, rs), "RecordSCIMRequests")

	all := e.listAll(org, store.LogQuery{Limit: 7})
	if len(all) != 45 {
		e.Fatalf("the org's log has %d records, want 45 (and none of the other org)", len(all))
	}
	if !slices.IsSortedFunc(all, func(a, b store.SCIMRequest) int { return int(b.Seq - a.Seq) }) {
		e.Errorf("the log is not newest first: %v", seqs(all, reqSeq))
	}
	count := func(q store.LogQuery) int { return len(e.listAll(org, q)) }
	for _, c := range []struct {
		q    store.LogQuery
		want int
	}{
		{store.LogQuery{StatusClass: 4}, 2},
		{store.LogQuery{StatusClass: 5}, 1},
		{store.LogQuery{StatusClass: 2}, 42},
		{store.LogQuery{Method: "patch"}, 1},
		{store.LogQuery{User: "9f0c"}, 2},
		{store.LogQuery{User: "ann@example"}, 1},
		{store.LogQuery{User: "%"}, 0},
		{store.LogQuery{Since: t0.Add(time.Minute), Until: t0.Add(5 * time.Minute)}, 4},
	} {
		if n := count(c.q); n != c.want {
			e.Errorf("filter %+v: %d records, want %d", c.q, n, c.want)
		}
	}
	refused := e.listAll(org, store.LogQuery{Method: "PATCH"})[0]
	got := must(e.s.GetSCIMRequest(e.ctx, org, cursorOf(refused.Seq)))(e)
	if got.Rule != 1 || got.RuleSentence != "The email is managed by SSO." || got.ErrorType != "mutability" ||
		got.RequestBody != `{"Operations":[]}` || got.TokenName != "Entra" || got.DurationMicros != 1500 || !got.At.Equal(t0.Add(2*time.Minute)) {
		e.Errorf("the stored record is %+v", got)
	}
	_, err := e.s.GetSCIMRequest(e.ctx, other, cursorOf(refused.Seq))
	e.wantNotFound(err, "another org's record")
	_, _, err = e.s.ListSCIMRequests(e.ctx, org, store.LogQuery{StatusClass: 3})
	e.wantInvalid(err, "status class 3xx")
	_, err = store.ParseLogCursor("x")
	e.wantInvalid(err, "a malformed cursor")
}

func cursorOf(seq int64) string { return strconv.FormatInt(seq, 10) }

func testSignInAttempts(e *env) {
	tn := e.tenant()
	for _, a := range []store.SignInAttempt{
		{OrgID: tn.ID, ConnectionName: "Okta", Outcome: store.OutcomeSuccess, Email: "ann@x.test"},
		{OrgID: tn.ID, ConnectionName: "Okta", Outcome: store.OutcomeBadSignature},
		{OrgID: tn.ID, ConnectionName: "Okta", Outcome: store.OutcomeNoMember, Email: "Bob@x.test", Detail: "No account."},
	} {
		e.ok(e.s.RecordSignInAttempt(e.ctx, a), "RecordSignInAttempt")
		e.clock.Advance(time.Second)
	}
	e.wantInvalid(e.s.RecordSignInAttempt(e.ctx, store.SignInAttempt{OrgID: tn.ID, Outcome: "nope"}), "an unknown outcome")
	list := func(q store.LogQuery) []store.SignInAttempt {
		as, _, err := e.s.ListSignInAttempts(e.ctx, tn.ID, q)
		e.ok(err, "ListSignInAttempts")
		return as
	}
	all := list(store.LogQuery{})
	if len(all) != 3 || all[0].Outcome != store.OutcomeNoMember || all[0].Email != "Bob@x.test" || all[0].Detail != "No account." ||
		!all[0].At.Equal(all[2].At.Add(2*time.Second)) {
		e.Fatalf("attempts: %+v", all)
	}
	if n := len(list(store.LogQuery{Failed: true})); n != 2 {
		e.Errorf("failed attempts: %d, want 2", n)
	}
	if as := list(store.LogQuery{Email: "bob@"}); len(as) != 1 {
		e.Errorf("by email: %d, want 1", len(as))
	}
	if as := list(store.LogQuery{Outcome: store.OutcomeBadSignature}); len(as) != 1 {
		e.Errorf("by outcome: %d, want 1", len(as))
	}
	page, next, err := e.s.ListSignInAttempts(e.ctx, tn.ID, store.LogQuery{Limit: 2})
	e.ok(err, "page")
	rest, _, err := e.s.ListSignInAttempts(e.ctx, tn.ID, store.LogQuery{Limit: 2, Before: must(store.ParseLogCursor(next))(e)})
	e.ok(err, "next page")
	if len(page) != 2 || len(rest) != 1 || rest[0].Outcome != store.OutcomeSuccess {
		e.Errorf("pages: %+v then %+v", page, rest)
	}
}

func testSCIMLogPurge(e *env) {
	tn := e.tenant()
	e.ok(e.s.RecordSCIMRequests(e.ctx, []store.SCIMRequest{{OrgID: tn.ID, At: e.clock.Now(), Method: "GET", Path: "/Users", Status: 200}}), "record")
	e.ok(e.s.RecordSignInAttempt(e.ctx, store.SignInAttempt{OrgID: tn.ID, Outcome: store.OutcomeSuccess}), "record attempt")
	e.clock.Advance(31 * 24 * time.Hour)
	e.ok(e.s.RecordSCIMRequests(e.ctx, []store.SCIMRequest{{OrgID: tn.ID, At: e.clock.Now(), Method: "POST", Path: "/Users", Status: 201}}), "record")
	_, err := e.s.PurgeSCIMRequests(e.ctx, store.SCIMLogRetention)
	e.ok(err, "PurgeSCIMRequests")
	_, err = e.s.PurgeSignInAttempts(e.ctx, store.SCIMLogRetention)
	e.ok(err, "PurgeSignInAttempts")
	if rs := e.listAll(tn.ID, store.LogQuery{}); len(rs) != 1 || rs[0].Method != "POST" {
		e.Errorf("after the purge: %+v, want the new record only", rs)
	}
	if as, _, _ := e.s.ListSignInAttempts(e.ctx, tn.ID, store.LogQuery{}); len(as) != 0 {
		e.Errorf("an old attempt survived the purge: %+v", as)
	}
}
