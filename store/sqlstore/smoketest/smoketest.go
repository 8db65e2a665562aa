// Package smoketest is a quick check of a store.Backend built on sqlstore:
// the backend packages run it against a freshly migrated database. It is not
// the conformance suite (store/storetest); it checks the SQL and the
// translation of driver errors, not the rules.
package smoketest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idbridge/idbridge/store"
)

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// base is a fixed time with a microsecond part, to check the precision kept.
var base = time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)

// Fixture is what Seed inserts.
type Fixture struct {
	Company      store.Company
	Org, Other   store.Org
	Account      store.Account
	Membership   store.Membership
	OtherAccount store.Account
}

// Seed inserts a company, two orgs, two accounts and a membership in the first org.
func Seed(t *testing.T, b store.Backend) Fixture {
	t.Helper()
	ctx := context.Background()
	f := Fixture{
		Company: store.Company{ID: newID(), Name: "Acme", CreatedAt: base},
	}
	f.Org = store.Org{ID: newID(), CompanyID: f.Company.ID, Name: "Acme EU", Slug: "acme-eu-" + f.Company.ID[:8],
		Domains: []string{"a-" + f.Company.ID[:8] + ".example", "b-" + f.Company.ID[:8] + ".example"}, CreatedAt: base, UpdatedAt: base}
	f.Other = store.Org{ID: newID(), CompanyID: f.Company.ID, Name: "Acme US", Slug: "acme-us-" + f.Company.ID[:8], CreatedAt: base, UpdatedAt: base}
	f.Account = store.Account{ID: newID(), Email: "Ada." + f.Company.ID[:8] + "@Example.com", GivenName: "Ada", FamilyName: "Lovelace",
		CreatedAt: base, UpdatedAt: base}
	f.OtherAccount = store.Account{ID: newID(), Email: "grace." + f.Company.ID[:8] + "@example.com", GivenName: "Grace", FamilyName: "100%_Hopper",
		CreatedAt: base, UpdatedAt: base}
	f.Membership = store.Membership{OrgID: f.Org.ID, AccountID: f.Account.ID, UserType: store.UserTypeSystemAdmin,
		Subscription: store.SubscriptionNone, ReportsRole: store.ReportsViewer, ExternalID: "ext-1",
		Profile: json.RawMessage(`{"userName":"ada"}`), CreatedAt: base, UpdatedAt: base}
	err := b.InTx(ctx, func(tx store.Tx) error {
		for _, step := range []func() error{
			func() error { return tx.InsertCompany(ctx, f.Company) },
			func() error { return tx.InsertOrg(ctx, f.Org) },
			func() error { return tx.InsertOrg(ctx, f.Other) },
			func() error { return tx.InsertAccount(ctx, f.Account) },
			func() error { return tx.InsertAccount(ctx, f.OtherAccount) },
			func() error { return tx.InsertMembership(ctx, f.Membership) },
		} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return f
}

func read[T any](t *testing.T, b store.Backend, fn func(ctx context.Context, tx store.Tx) (T, error)) (T, error) {
	t.Helper()
	var v T
	err := b.ReadTx(context.Background(), func(tx store.Tx) error {
		var err error
		v, err = fn(context.Background(), tx)
		return err
	})
	return v, err
}

func write(t *testing.T, b store.Backend, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	return b.InTx(context.Background(), func(tx store.Tx) error { return fn(context.Background(), tx) })
}

func wantConflict(t *testing.T, err error, field string) {
	t.Helper()
	var ce *store.ConflictError
	if !errors.As(err, &ce) || ce.Field != field {
		t.Fatalf("got %v, want *store.ConflictError{Field: %q}", err, field)
	}
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("%s: got %v, want ErrNotFound", what, err)
	}
}

func equalJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}

// Run checks round trips, conflicts, malformed ids and isolation on b, which
// must be freshly migrated.
func Run(t *testing.T, b store.Backend) {
	f := Seed(t, b)

	t.Run("read back", func(t *testing.T) {
		c, err := read(t, b, func(ctx context.Context, tx store.Tx) (store.Company, error) { return tx.GetCompany(ctx, f.Company.ID) })
		if err != nil || c != f.Company {
			t.Fatalf("company: got %+v, %v, want %+v", c, err, f.Company)
		}
		o, err := read(t, b, func(ctx context.Context, tx store.Tx) (store.Org, error) {
			return tx.GetOrg(ctx, f.Org.ID, store.LockNone)
		})
		if err != nil || fmt.Sprint(o) != fmt.Sprint(f.Org) {
			t.Fatalf("org: got %+v, %v, want %+v", o, err, f.Org)
		}
		o, err = read(t, b, func(ctx context.Context, tx store.Tx) (store.Org, error) {
			return tx.OrgByDomain(ctx, f.Org.Domains[1])
		})
		if err != nil || o.ID != f.Org.ID {
			t.Fatalf("org by domain: got %+v, %v", o, err)
		}
		m, err := read(t, b, func(ctx context.Context, tx store.Tx) (store.Member, error) {
			return tx.MemberByEmail(ctx, f.Org.ID, "ADA."+f.Company.ID[:8]+"@example.COM")
		})
		if err != nil || fmt.Sprint(m.Account) != fmt.Sprint(f.Account) {
			t.Fatalf("member by email: got %+v, %v, want %+v", m.Account, err, f.Account)
		}
		got, want := m.Membership, f.Membership
		if !equalJSON(got.Profile, want.Profile) {
			t.Fatalf("profile: got %s, want %s", got.Profile, want.Profile)
		}
		got.Profile, want.Profile = nil, nil
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("membership: got %+v, want %+v", got, want)
		}
		m, err = read(t, b, func(ctx context.Context, tx store.Tx) (store.Member, error) {
			return tx.MemberByExternalID(ctx, f.Org.ID, "ext-1")
		})
		if err != nil || m.Account.ID != f.Account.ID {
			t.Fatalf("member by external id: got %+v, %v", m, err)
		}
		orgs, err := read(t, b, func(ctx context.Context, tx store.Tx) ([]store.Org, error) {
			return tx.AccountOrgs(ctx, f.Account.ID, store.LockShare)
		})
		if err != nil || len(orgs) != 1 || orgs[0].ID != f.Org.ID || len(orgs[0].Domains) != 2 {
			t.Fatalf("account orgs: got %+v, %v", orgs, err)
		}
	})

	t.Run("conflicts", func(t *testing.T) {
		dup := f.OtherAccount
		dup.ID, dup.Email = newID(), "ADA."+f.Company.ID[:8]+"@EXAMPLE.com"
		wantConflict(t, write(t, b, func(ctx context.Context, tx store.Tx) error { return tx.InsertAccount(ctx, dup) }), "email")
		o := f.Other
		o.ID, o.Domains = newID(), nil
		wantConflict(t, write(t, b, func(ctx context.Context, tx store.Tx) error { return tx.InsertOrg(ctx, o) }), "slug")
		o.Slug, o.Domains = "x-"+o.ID[:8], []string{f.Org.Domains[0]}
		wantConflict(t, write(t, b, func(ctx context.Context, tx store.Tx) error { return tx.InsertOrg(ctx, o) }), "domain")
		wantConflict(t, write(t, b, func(ctx context.Context, tx store.Tx) error { return tx.InsertMembership(ctx, f.Membership) }), "membership")
		m := f.Membership
		m.AccountID, m.Profile = f.OtherAccount.ID, nil // only the externalId is taken (a taken userName is "user_name")
		wantConflict(t, write(t, b, func(ctx context.Context, tx store.Tx) error { return tx.InsertMembership(ctx, m) }), "external_id")
		// Nothing of the refused transactions stayed.
		_, err := read(t, b, func(ctx context.Context, tx store.Tx) (store.Membership, error) {
			return tx.GetMembership(ctx, f.Org.ID, f.OtherAccount.ID, store.LockNone)
		})
		wantNotFound(t, "refused membership", err)
	})

	t.Run("malformed and foreign ids", func(t *testing.T) {
		for name, fn := range map[string]func(ctx context.Context, tx store.Tx) error{
			"org": func(ctx context.Context, tx store.Tx) error {
				_, err := tx.GetOrg(ctx, "nope", store.LockUpdate)
				return err
			},
			"account": func(ctx context.Context, tx store.Tx) error {
				_, err := tx.GetAccount(ctx, "1; drop", store.LockNone)
				return err
			},
			"member": func(ctx context.Context, tx store.Tx) error { _, err := tx.GetMember(ctx, f.Org.ID, "x"); return err },
			"other org": func(ctx context.Context, tx store.Tx) error {
				_, err := tx.GetMember(ctx, f.Other.ID, f.Account.ID)
				return err
			},
			"group": func(ctx context.Context, tx store.Tx) error {
				_, err := tx.GetGroup(ctx, f.Org.ID, "", store.LockNone)
				return err
			},
			"update": func(ctx context.Context, tx store.Tx) error {
				a := f.Account
				a.ID = "bad"
				return tx.UpdateAccount(ctx, a)
			},
			"missing":    func(ctx context.Context, tx store.Tx) error { _, err := tx.GetCompany(ctx, newID()); return err },
			"no session": func(ctx context.Context, tx store.Tx) error { return tx.DeleteSession(ctx, []byte("none")) },
		} {
			wantNotFound(t, name, write(t, b, fn))
		}
	})

	t.Run("members list", func(t *testing.T) {
		m := f.Membership
		m.OrgID, m.ExternalID, m.Profile, m.UserType = f.Org.ID, "", nil, store.UserTypeUser
		m.AccountID = f.OtherAccount.ID
		now := base.Add(time.Hour)
		m.InvitedAt = &now
		if err := write(t, b, func(ctx context.Context, tx store.Tx) error { return tx.InsertMembership(ctx, m) }); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name  string
			q     store.MemberQuery
			total int
		}{
			{name: "all", q: store.MemberQuery{Limit: 10}, total: 2},
			{name: "email substring", q: store.MemberQuery{Search: "ADA.", Limit: 10}, total: 1},
			{name: "full name", q: store.MemberQuery{Search: "grace 100", Limit: 10}, total: 1},
			{name: "escaped percent", q: store.MemberQuery{Search: "0%_h", Limit: 10}, total: 1},
			{name: "percent is not a wildcard", q: store.MemberQuery{Search: "a%e", Limit: 10}, total: 0},
			{name: "pending", q: store.MemberQuery{Statuses: []store.Status{store.StatusPending}, Limit: 10}, total: 1},
			{name: "inactive or disabled", q: store.MemberQuery{Statuses: []store.Status{store.StatusInactive, store.StatusDisabled}, Limit: 10}, total: 1},
			{name: "admins", q: store.MemberQuery{UserTypes: []store.UserType{store.UserTypeSystemAdmin}, Limit: 10}, total: 1},
			{name: "page past the end", q: store.MemberQuery{Offset: 5, Limit: 10}, total: 2},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ms, total, err := read2(b, func(ctx context.Context, tx store.Tx) ([]store.Member, int, error) {
					ms, total, _, err := tx.ListMembers(ctx, f.Org.ID, tc.q)
					return ms, total, err
				})
				if err != nil || total != tc.total || len(ms) != max(0, min(tc.total-tc.q.Offset, tc.q.Limit)) {
					t.Fatalf("got %d members, total %d, %v; want total %d", len(ms), total, err, tc.total)
				}
			})
		}
	})

	t.Run("groups", func(t *testing.T) {
		g := store.Group{ID: newID(), OrgID: f.Org.ID, DisplayName: "Admins", CreatedAt: base, UpdatedAt: base}
		if err := write(t, b, func(ctx context.Context, tx store.Tx) error { return tx.InsertGroup(ctx, g) }); err != nil {
			t.Fatal(err)
		}
		g2 := g
		g2.ID, g2.DisplayName = newID(), "ADMINS"
		wantConflict(t, write(t, b, func(ctx context.Context, tx store.Tx) error { return tx.InsertGroup(ctx, g2) }), "group_name")
		err := write(t, b, func(ctx context.Context, tx store.Tx) error {
			return tx.UpsertGroupMembers(ctx, f.Org.ID, g.ID, []store.GroupMember{{AccountID: f.Account.ID, Role: store.GroupRoleManager}})
		})
		if err != nil {
			t.Fatal(err)
		}
		// An account that is not a member of the org is refused by the foreign key.
		err = write(t, b, func(ctx context.Context, tx store.Tx) error {
			a := store.Account{ID: newID(), Email: newID() + "@example.com", CreatedAt: base, UpdatedAt: base}
			if err := tx.InsertAccount(ctx, a); err != nil {
				return err
			}
			return tx.UpsertGroupMembers(ctx, f.Org.ID, g.ID, []store.GroupMember{{AccountID: a.ID, Role: store.GroupRoleMember}})
		})
		var ie *store.InvalidError
		if !errors.As(err, &ie) || ie.Field != "members" {
			t.Fatalf("non-member: got %v, want *store.InvalidError{Field: members}", err)
		}
		gs, roles, err := read2(b, func(ctx context.Context, tx store.Tx) ([]store.Group, []store.GroupRole, error) {
			return tx.GroupsOfMember(ctx, f.Org.ID, f.Account.ID)
		})
		if err != nil || len(gs) != 1 || roles[0] != store.GroupRoleManager {
			t.Fatalf("groups of member: got %v %v %v", gs, roles, err)
		}
	})

	t.Run("one-time token", func(t *testing.T) {
		tok := store.OneTimeToken{Hash: []byte(newID()), Kind: store.TokenReset, AccountID: f.Account.ID, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
		if err := write(t, b, func(ctx context.Context, tx store.Tx) error { return tx.InsertToken(ctx, tok) }); err != nil {
			t.Fatal(err)
		}
		consume := func() error {
			return write(t, b, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.ConsumeToken(ctx, tok.Hash, store.TokenReset, base.Add(time.Minute))
				return err
			})
		}
		if err := consume(); err != nil {
			t.Fatalf("first consume: %v", err)
		}
		wantNotFound(t, "second consume", consume())
	})

	t.Run("outbox claim", func(t *testing.T) {
		msg := store.OutboxMessage{ID: newID(), Kind: "invitation", To: "X@Example.com", Subject: "s", Body: "b", CreatedAt: base, NextAttempt: base}
		if err := write(t, b, func(ctx context.Context, tx store.Tx) error { return tx.InsertOutbox(ctx, msg) }); err != nil {
			t.Fatal(err)
		}
		claim := func() []store.OutboxMessage {
			var ms []store.OutboxMessage
			if err := write(t, b, func(ctx context.Context, tx store.Tx) (err error) {
				ms, err = tx.ClaimOutbox(ctx, base.Add(time.Second), time.Minute, "smoke", 10)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ms
		}
		if ms := claim(); len(ms) != 1 || !ms[0].NextAttempt.Equal(base.Add(time.Second+time.Minute)) {
			t.Fatalf("first claim: got %+v", ms)
		}
		if ms := claim(); len(ms) != 0 {
			t.Fatalf("second claim: got %+v, want none while leased", ms)
		}
		ms, err := read(t, b, func(ctx context.Context, tx store.Tx) ([]store.OutboxMessage, error) {
			return tx.ListOutbox(ctx, "x@example.COM")
		})
		if err != nil || len(ms) != 1 {
			t.Fatalf("list outbox: got %v, %v", ms, err)
		}
	})

	t.Run("audit", func(t *testing.T) {
		e := store.AuditEntry{OrgID: f.Org.ID, Actor: store.SupportActor("op"), Action: "test", After: json.RawMessage(`{"a":1}`), At: base}
		for range 2 {
			if err := write(t, b, func(ctx context.Context, tx store.Tx) error { return tx.InsertAudit(ctx, e) }); err != nil {
				t.Fatal(err)
			}
		}
		es, err := read(t, b, func(ctx context.Context, tx store.Tx) ([]store.AuditEntry, error) {
			return tx.ListAudit(ctx, store.AuditQuery{OrgID: f.Org.ID, Limit: 10})
		})
		if err != nil || len(es) != 2 || es[0].Seq <= es[1].Seq || es[0].Before != nil || !equalJSON(es[0].After, e.After) {
			t.Fatalf("audit: got %+v, %v", es, err)
		}
	})
}

func read2[A, B any](b store.Backend, fn func(ctx context.Context, tx store.Tx) (A, B, error)) (A, B, error) {
	var x A
	var y B
	err := b.ReadTx(context.Background(), func(tx store.Tx) error {
		var err error
		x, y, err = fn(context.Background(), tx)
		return err
	})
	return x, y, err
}
