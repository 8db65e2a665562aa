package server

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/idbridge/idbridge/store"
)

// The server's worker runs a stored bulk job to the end.
func TestServerRunsBulkJobs(t *testing.T) {
	cfg := testConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := openTestStore(t, ctx, cfg)
	sup := store.SupportActor("test")
	org := testOrg(t, ctx, st)
	admin, err := st.CreateMember(ctx, sup, org.ID, store.NewMember{Email: "ada@acme.example", UserType: store.UserTypeSystemAdmin})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range []string{"bob@acme.example", "cat@acme.example"} {
		m, err := st.CreateMember(ctx, sup, org.ID, store.NewMember{Email: e})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.Account.ID)
	}
	job, err := st.CreateBulkJob(ctx, store.AdminActor(org.ID, admin.Account.ID), org.ID, ids, nil,
		store.MembershipChange{Subscription: new(store.SubscriptionProfessional)})
	if err != nil {
		t.Fatal(err)
	}
	_, done := runTestServer(t, ctx, New(cfg, st, NewLogger(io.Discard, 0), nil), cfg)
	for {
		j, err := st.GetBulkJob(t.Context(), org.ID, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == store.BulkJobDone {
			if j.Changed != 2 {
				t.Fatalf("job = %+v, want 2 changed", j)
			}
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
}
