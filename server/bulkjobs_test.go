package server

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/store"
)

// The server's worker runs a stored bulk job to the end.
func TestServerRunsBulkJobs(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	log := NewLogger(io.Discard, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := OpenStore(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Backend().Close()
	sup := store.SupportActor("test")
	co, err := st.CreateCompany(ctx, sup, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	org, err := st.CreateOrg(ctx, sup, store.NewOrg{CompanyID: co.ID, Name: "Acme", Domains: []string{"acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
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
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- New(cfg, st, log, nil).Run(ctx, ln) }()
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
