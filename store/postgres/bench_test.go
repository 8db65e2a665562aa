package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/postgres"
	"github.com/idbridge/idbridge/store/postgres/pgtest"
)

// The figures of the README's "Measured figures" come from these benchmarks
// (`make bench`). They report their own metrics: creates/s, median-ms, p99-ms.

func benchStore(b *testing.B) (*store.Store, string) {
	b.Helper()
	url := pgtest.NewDatabase(b)
	db, err := postgres.Open(b.Context(), url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
	return store.New(db, store.Options{BaseURL: "http://idbridge.test"}), url
}

func benchOrg(b *testing.B, st *store.Store, domain string) store.Org {
	b.Helper()
	ctx := b.Context()
	support := store.SupportActor("bench")
	c, err := st.CreateCompany(ctx, support, "Bench")
	if err != nil {
		b.Fatal(err)
	}
	o, err := st.CreateOrg(ctx, support, store.NewOrg{CompanyID: c.ID, Name: "Bench " + domain, Domains: []string{domain}})
	if err != nil {
		b.Fatal(err)
	}
	return o
}

// BenchmarkCreateMemberWithInvitation: a new account, its membership, the
// invitation token, its outbox message and the audit entry, in one
// transaction, from 16 concurrent callers.
func BenchmarkCreateMemberWithInvitation(b *testing.B) {
	st, _ := benchStore(b)
	org := benchOrg(b, st, "create.example")
	var n atomic.Int64
	b.SetParallelism(16 / max(1, runtimeProcs()))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			_, err := st.CreateMember(context.Background(), store.SupportActor("bench"), org.ID, store.NewMember{
				Email: "user" + strconv.FormatInt(i, 10) + "@create.example", GivenName: "Bench", FamilyName: "User", Invite: true})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "creates/s")
}

var givenNames = []string{"mario", "giulia", "luca", "francesca", "marco", "chiara", "andrea", "sara", "giorgio", "elena",
	"paolo", "anna", "stefano", "laura", "davide", "valentina", "matteo", "silvia", "simone", "federica"}
var familyNames = []string{"rossi", "russo", "ferrari", "esposito", "bianchi", "romano", "colombo", "ricci", "marino", "greco",
	"bruno", "gallo", "conti", "deluca", "mancini", "costa", "giordano", "rizzo", "lombardi", "moretti"}

// seedMembers inserts n accounts and their memberships of one org in bulk, server-side.
func seedMembers(b *testing.B, url, orgID string, n int) {
	b.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SET statement_timeout = 0"); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	// given and family names cycle with coprime strides, so a name substring
	// matches about 1/20 (given) or 1/400 (given+family) of the org.
	_, err = conn.Exec(ctx, `
WITH g AS (SELECT $2::text[] AS given, $3::text[] AS family),
s AS (SELECT i, gen_random_uuid() AS id,
             (SELECT given[1 + i % 20] FROM g) AS gn,
             (SELECT family[1 + (i / 20) % 20] FROM g) || (i % 997)::text AS fn
        FROM generate_series(1, $4::int) AS i),
a AS (INSERT INTO accounts (id, email, given_name, family_name, created_at, updated_at)
      SELECT id, gn || '.' || fn || '.' || i || '@million.example', initcap(gn), initcap(fn), now(), now() FROM s
      RETURNING id)
INSERT INTO memberships (org_id, account_id, user_type, subscription, reports_role, created_at, updated_at)
SELECT $1::uuid, id, 'user', 'none', 'no_access', now(), now() FROM a`, orgID, givenNames, familyNames, n)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "ANALYZE accounts; ANALYZE memberships"); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d members in %s", n, time.Since(start).Round(time.Second))
}

func millionSize() int {
	if s := os.Getenv("IDBRIDGE_BENCH_MEMBERS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	return 1_000_000
}

// BenchmarkMillionMembers seeds one org with 1,000,000 members (set
// IDBRIDGE_BENCH_MEMBERS to change), then measures lookups and searches.
func BenchmarkMillionMembers(b *testing.B) {
	st, url := benchStore(b)
	org := benchOrg(b, st, "million.example")
	n := millionSize()
	seedMembers(b, url, org.ID, n)

	b.Run("MemberByEmail", func(b *testing.B) {
		ctx := context.Background()
		lat := make([]time.Duration, 0, b.N)
		for b.Loop() {
			i := 1 + rand.IntN(n)
			email := fmt.Sprintf("%s.%s%d.%d@million.example", givenNames[i%20], familyNames[(i/20)%20], i%997, i)
			t0 := time.Now()
			m, err := st.MemberByEmail(ctx, org.ID, email)
			lat = append(lat, time.Since(t0))
			if err != nil || m.Account.Email != email {
				b.Fatalf("MemberByEmail(%s) = %v, %v", email, m.Account.Email, err)
			}
		}
		reportLatency(b, lat)
	})

	b.Run("SearchFirstPage", func(b *testing.B) {
		ctx := context.Background()
		lat := make([]time.Duration, 0, b.N)
		for b.Loop() {
			// "Rossi42": a family-name substring as an admin types it.
			i := 1 + rand.IntN(n)
			term := familyNames[(i/20)%20] + strconv.Itoa(i%997)
			t0 := time.Now()
			ms, total, err := st.ListMembers(ctx, org.ID, store.MemberQuery{Search: term, Limit: 50})
			lat = append(lat, time.Since(t0))
			if err != nil || len(ms) == 0 || total < len(ms) {
				b.Fatalf("search %q = %d of %d, %v", term, len(ms), total, err)
			}
		}
		reportLatency(b, lat)
	})
}

func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), "median-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
