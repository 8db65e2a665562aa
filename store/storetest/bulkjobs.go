package storetest

import (
	"context"
	"errors"
	"time"

	"github.com/idbridge/idbridge/store"
)

// The bulk job subtests claim service-wide, so they run alone, and each
// leaves no job waiting.
var bulkJobTests = []test{
	{name: "bulk_job_claim_lease_resume", fn: testBulkJobResume, epoch: time.Date(2003, 5, 6, 7, 0, 0, 0, time.UTC)},
	{name: "bulk_job_ids_release", fn: testBulkJobIDs, epoch: time.Date(2004, 5, 6, 7, 0, 0, 0, time.UTC)},
	{name: "bulk_job_worker_interrupted", fn: testBulkJobWorkers, epoch: time.Date(2005, 5, 6, 7, 0, 0, 0, time.UTC)},
}

// claimJob claims the next job on s, failing when none waits.
func (e *env) claimJob(s *store.Store) store.BulkJob {
	e.Helper()
	j, ok, err := s.ClaimBulkJob(e.ctx)
	e.ok(err, "ClaimBulkJob")
	if !ok {
		e.Fatal("ClaimBulkJob found no job")
	}
	return j
}

// noJob checks that s finds no job to claim.
func (e *env) noJob(s *store.Store, what string) {
	e.Helper()
	if j, ok, err := s.ClaimBulkJob(e.ctx); err != nil || ok {
		e.Fatalf("%s: ClaimBulkJob = %s %v %v, want none", what, j.ID, ok, err)
	}
}

// testBulkJobResume runs a job on one replica, stops it mid-way, and lets a
// second replica finish it once the lease ran out: every member is processed
// exactly once, and the stopped runner, coming back, changes nothing.
func testBulkJobResume(e *env) {
	tn := e.tenant()
	other := e.tenant()
	tag := rnd()
	tagged := func(n *store.NewMember) { n.FamilyName = "Job" + tag }
	var members []store.Member
	for range 6 {
		members = append(members, e.member(tn.ID, tagged))
	}
	// Rule 7: a viewer needs a Professional or Supervision subscription.
	refused := e.member(tn.ID, tagged, func(n *store.NewMember) {
		n.Subscription, n.ReportsRole = store.SubscriptionProfessional, store.ReportsViewer
	})
	members = append(members, refused)
	e.member(other.ID, tagged)
	q := &store.MemberQuery{Search: "job" + tag}
	change := store.MembershipChange{Subscription: new(store.SubscriptionContributor)}

	_, err := e.s.CreateBulkJob(e.ctx, other.Actor, tn.ID, nil, q, change)
	e.wantNotFound(err, "another org's admin making a job")
	_, err = e.s.CreateBulkJob(e.ctx, tn.Actor, tn.ID, nil, &store.MemberQuery{Statuses: []store.Status{"sleeping"}}, change)
	e.wantInvalid(err, "a job with an invalid filter")

	job := must(e.s.CreateBulkJob(e.ctx, tn.Actor, tn.ID, nil, q, change))(e)
	if job.Status != store.BulkJobQueued || job.Total != len(members) {
		e.Fatalf("new job = %s of %d, want queued of %d", job.Status, job.Total, len(members))
	}
	_, err = e.s.GetBulkJob(e.ctx, other.ID, job.ID)
	e.wantNotFound(err, "another org's job")

	replica2 := newStore(e.b, e.clock)
	run1 := e.claimJob(e.s)
	if run1.ID != job.ID || run1.Status != store.BulkJobRunning {
		e.Fatalf("claimed %s (%s), want %s running", run1.ID, run1.Status, job.ID)
	}
	e.noJob(replica2, "a leased job")

	// The first runner stops (its context ends) after three members.
	ctx, cancel := context.WithCancel(e.ctx)
	_, err = e.s.RunBulkJob(ctx, run1, func(j store.BulkJob) {
		if j.Done == 3 {
			cancel()
		}
	})
	cancel()
	if !errors.Is(err, context.Canceled) {
		e.Fatalf("stopped run: err = %v, want context.Canceled", err)
	}
	mid := must(e.s.GetBulkJob(e.ctx, tn.ID, job.ID))(e)
	if mid.Done != 3 || mid.LastID == "" || mid.Status != store.BulkJobRunning {
		e.Fatalf("stopped job: done %d, last %q, %s; want 3, set, running", mid.Done, mid.LastID, mid.Status)
	}
	e.noJob(replica2, "a job whose lease has not run out")

	// The lease runs out: the second replica takes the job over.
	e.clock.Advance(store.BulkJobLease + time.Second)
	run2 := e.claimJob(replica2)
	if run2.ID != job.ID || run2.Done != 3 || run2.LeaseHolder == run1.LeaseHolder {
		e.Fatalf("took over %s at %d by %s, want %s at 3 by a new holder", run2.ID, run2.Done, run2.LeaseHolder, job.ID)
	}
	// The first runner, coming back, learns it lost the job and changes nothing.
	_, err = e.s.RunBulkJob(e.ctx, run1, nil)
	e.wantIs(err, store.ErrBulkJobLeaseLost, "a runner whose job was taken over")
	if j := must(e.s.GetBulkJob(e.ctx, tn.ID, job.ID))(e); j.Done != 3 {
		e.Fatalf("after the old runner came back: done %d, want 3", j.Done)
	}

	done := must(replica2.RunBulkJob(e.ctx, run2, nil))(e)
	stored := must(e.s.GetBulkJob(e.ctx, tn.ID, job.ID))(e)
	e.same("finished job as returned and as stored", done, stored)
	if stored.Status != store.BulkJobDone || stored.Done != len(members) || stored.Changed != len(members)-1 || stored.Refused != 1 || stored.Total != len(members) {
		e.Fatalf("finished job = %+v, want done, %d processed, %d changed, 1 refused", stored, len(members), len(members)-1)
	}
	res := must(e.s.ListBulkJobResults(e.ctx, tn.ID, job.ID))(e)
	if len(res) != 1 || res[0].AccountID != refused.Account.ID || res[0].Rule != store.RuleReportsRole || res[0].Sentence == "" {
		e.Fatalf("report = %+v, want %s refused by rule %d", res, refused.Account.ID, store.RuleReportsRole)
	}
	_, err = e.s.ListBulkJobResults(e.ctx, other.ID, job.ID)
	e.wantNotFound(err, "another org's job report")

	// Each changed member was updated exactly once (one audit entry each).
	updates := map[string]int{}
	for _, a := range e.auditOf(tn.ID) {
		if a.Action == "member.update" {
			updates[a.TargetID]++
		}
	}
	for _, m := range members {
		want := 1
		if m.Account.ID == refused.Account.ID {
			want = 0
		}
		if updates[m.Account.ID] != want {
			e.Errorf("member %s updated %d times, want %d", m.Account.ID, updates[m.Account.ID], want)
		}
		got := must(e.s.GetMember(e.ctx, tn.ID, m.Account.ID))(e)
		if want == 1 && got.Membership.Subscription != store.SubscriptionContributor {
			e.Errorf("member %s subscription %s, want contributor", m.Account.ID, got.Membership.Subscription)
		}
	}
	e.noJob(e.s, "after the job is done")
	e.noJob(replica2, "after the job is done")
}

// testBulkJobIDs runs a job over a list of ids (one unknown, one of another
// org), given back by its first runner before it started.
func testBulkJobIDs(e *env) {
	tn := e.tenant()
	other := e.tenant()
	u1, u2 := e.member(tn.ID), e.member(tn.ID)
	stranger := e.member(other.ID)
	ids := []string{u2.Account.ID, u1.Account.ID, unknownID, stranger.Account.ID, u1.Account.ID}
	before := e.snap([]string{other.ID}, stranger.Account.ID)
	job := must(e.s.CreateBulkJob(e.ctx, tn.Actor, tn.ID, ids, nil, store.MembershipChange{UserType: new(store.UserTypeSystemAdmin)}))(e)
	if job.Total != 4 {
		e.Fatalf("job total %d, want 4 (duplicates counted once)", job.Total)
	}
	run := e.claimJob(e.s)
	e.ok(e.s.ReleaseBulkJob(e.ctx, run), "ReleaseBulkJob")
	// Given back: claimable at once, by another replica.
	replica2 := newStore(e.b, e.clock)
	run = e.claimJob(replica2)
	e.wantIs(e.s.ReleaseBulkJob(e.ctx, store.BulkJob{ID: job.ID, OrgID: tn.ID, LeaseHolder: "someone"}), store.ErrBulkJobLeaseLost, "a release by a runner that does not hold the job")
	done := must(replica2.RunBulkJob(e.ctx, run, nil))(e)
	if done.Status != store.BulkJobDone || done.Changed != 2 || done.Refused != 2 {
		e.Fatalf("job = %+v, want done, 2 changed, 2 refused", done)
	}
	res := must(e.s.ListBulkJobResults(e.ctx, tn.ID, job.ID))(e)
	if len(res) != 2 || res[0].Sentence != "not found" || res[1].Sentence != "not found" {
		e.Fatalf("report = %+v, want the two foreign ids not found", res)
	}
	for _, u := range []store.Member{u1, u2} {
		if m := must(e.s.GetMember(e.ctx, tn.ID, u.Account.ID))(e); m.Membership.UserType != store.UserTypeSystemAdmin {
			e.Errorf("member %s is %s, want system admin", u.Account.ID, m.Membership.UserType)
		}
	}
	e.unchanged(before, "another org's member in a job's ids")
	e.noJob(e.s, "after the job is done")
}

// testBulkJobWorkers stops a worker mid-job (its context ends, as at a
// replica's shutdown): it gives the job back, and another replica's worker
// finishes it at once, every member processed exactly once.
func testBulkJobWorkers(e *env) {
	tn := e.tenant()
	var ids []string
	for range 5 {
		ids = append(ids, e.member(tn.ID).Account.ID)
	}
	job := must(e.s.CreateBulkJob(e.ctx, tn.Actor, tn.ID, ids, nil, store.MembershipChange{ReportsRole: new(store.ReportsViewer), Subscription: new(store.SubscriptionProfessional)}))(e)
	ctx, cancel := context.WithCancel(e.ctx)
	n, err := e.s.WorkBulkJobs(ctx, func(j store.BulkJob) {
		if j.Done == 2 {
			cancel()
		}
	})
	cancel()
	if n != 0 || !errors.Is(err, context.Canceled) {
		e.Fatalf("stopped worker: %d jobs, %v; want 0, context.Canceled", n, err)
	}
	mid := must(e.s.GetBulkJob(e.ctx, tn.ID, job.ID))(e)
	if mid.Done != 2 || mid.Status != store.BulkJobRunning {
		e.Fatalf("stopped job: %d done, %s; want 2, running", mid.Done, mid.Status)
	}
	replica2 := newStore(e.b, e.clock)
	if n := must(replica2.WorkBulkJobs(e.ctx, nil))(e); n != 1 {
		e.Fatalf("second worker finished %d jobs, want 1", n)
	}
	done := must(e.s.GetBulkJob(e.ctx, tn.ID, job.ID))(e)
	if done.Status != store.BulkJobDone || done.Done != 5 || done.Changed != 5 || done.Refused != 0 {
		e.Fatalf("job = %+v, want done, 5 changed", done)
	}
	updates := map[string]int{}
	for _, a := range e.auditOf(tn.ID) {
		if a.Action == "member.update" {
			updates[a.TargetID]++
		}
	}
	for _, id := range ids {
		if updates[id] != 1 {
			e.Errorf("member %s updated %d times, want once", id, updates[id])
		}
	}
	e.noJob(e.s, "after the job is done")
}
