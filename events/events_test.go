package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/idbridge/idbridge/events"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/postgres"
	"github.com/idbridge/idbridge/store/postgres/pgtest"
	"github.com/idbridge/idbridge/store/sqlite"
)

var support = store.SupportActor("test")

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// backends opens each backend (fresh database) once per call: newStore
// returns another Store (replica) on the same database.
var backends = map[string]func(t *testing.T) func(c *clock) *store.Store{
	"sqlite": func(t *testing.T) func(c *clock) *store.Store {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "events.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return func(c *clock) *store.Store { return newStore(db, c) }
	},
	"postgres": func(t *testing.T) func(c *clock) *store.Store {
		url := pgtest.NewDatabase(t)
		first := true
		return func(c *clock) *store.Store {
			db, err := postgres.Open(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if first {
				if err := db.Migrate(t.Context()); err != nil {
					t.Fatal(err)
				}
				first = false
			}
			return newStore(db, c)
		}
	},
}

func newStore(b store.Backend, c *clock) *store.Store {
	return store.New(b, store.Options{BaseURL: "http://idbridge.test", Now: c.Now,
		Password: store.PasswordParams{MemoryKiB: 64, Passes: 1, Threads: 1}})
}

func eachBackend(t *testing.T, fn func(t *testing.T, open func(c *clock) *store.Store)) {
	for name, b := range backends {
		t.Run(name, func(t *testing.T) { fn(t, b(t)) })
	}
}

func newOrg(t *testing.T, st *store.Store, name string) store.Org {
	t.Helper()
	c, err := st.CreateCompany(t.Context(), support, name)
	if err != nil {
		t.Fatal(err)
	}
	o, err := st.CreateOrg(t.Context(), support, store.NewOrg{CompanyID: c.ID, Name: name, Domains: []string{strings.ToLower(name) + ".example"}})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func addMember(t *testing.T, st *store.Store, orgID, email string) store.Member {
	t.Helper()
	m, err := st.CreateMember(t.Context(), support, orgID, store.NewMember{Email: email})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// visible waits until the feed shows n events of the org (on PostgreSQL it
// shows an event once every older transaction ended, other tests' too) and
// returns them.
func visible(t *testing.T, st *store.Store, orgID string, n int) []store.Event {
	t.Helper()
	for {
		es, _, err := st.ListEvents(t.Context(), store.EventQuery{OrgIDs: []string{orgID}, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) >= n {
			return es
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("the feed never showed %d events", n)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func getPage(t *testing.T, url, id, secret string) (int, events.Page) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p events.Page
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, p
}

func feedServer(t *testing.T, st *store.Store) string {
	r := chi.NewRouter()
	(&events.Feed{Store: st, Log: quietLog()}).Mount(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL + "/api/events"
}

// An app restricted to one org pages through that org's events only, each
// once and in order; it cannot ask for another org; a wrong secret is refused.
func TestFeedPaging(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(c *clock) *store.Store) {
		c := &clock{now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
		st := open(c)
		a, b := newOrg(t, st, "Alpha"), newOrg(t, st, "Beta")
		app, secret, err := st.CreateApp(t.Context(), support, store.NewApp{Name: "Seats",
			RedirectURIs: []string{"https://seats.example/cb"}, OrgIDs: []string{a.ID}})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			addMember(t, st, a.ID, fmt.Sprintf("a%d@alpha.example", i))
			addMember(t, st, b.ID, fmt.Sprintf("b%d@beta.example", i))
		}
		want := visible(t, st, a.ID, 5)
		visible(t, st, b.ID, 5)
		url := feedServer(t, st)

		var got []events.Wire
		cursor := ""
		for {
			code, p := getPage(t, url+"?limit=2&after="+cursor, app.ID, secret)
			if code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			if len(p.Events) > 2 {
				t.Fatalf("page of %d", len(p.Events))
			}
			if len(p.Events) == 0 {
				if p.Next != cursor && cursor != "" {
					t.Errorf("empty page moved the cursor %q to %q", cursor, p.Next)
				}
				break
			}
			got = append(got, p.Events...)
			cursor = p.Next
		}
		if len(got) != len(want) {
			t.Fatalf("got %d events, want %d (org Alpha only)", len(got), len(want))
		}
		for i, e := range got {
			if e.ID != want[i].ID || e.OrgID != a.ID || e.Type != "user.created" || e.Cursor == "" {
				t.Errorf("event %d = %+v, want %s of Alpha", i, e, want[i].ID)
			}
		}
		if code, _ := getPage(t, url+"?org="+b.ID, app.ID, secret); code != http.StatusForbidden {
			t.Errorf("another org: status %d, want 403", code)
		}
		if code, _ := getPage(t, url, app.ID, secret+"x"); code != http.StatusUnauthorized {
			t.Errorf("wrong secret: status %d, want 401", code)
		}
		if code, _ := getPage(t, url+"?after=nonsense", app.ID, secret); code != http.StatusBadRequest {
			t.Errorf("bad cursor: status %d, want 400", code)
		}
		if code, _ := getPage(t, url+"?types=user.exploded", app.ID, secret); code != http.StatusBadRequest {
			t.Errorf("bad type: status %d, want 400", code)
		}
		// types=: none of the user.created.
		if code, p := getPage(t, url+"?types=group.created", app.ID, secret); code != http.StatusOK || len(p.Events) != 0 {
			t.Errorf("types filter: %d, %d events", code, len(p.Events))
		}

		// Long poll: a request waiting at the head gets the next event. (On
		// PostgreSQL an event shows once older transactions ended, other
		// tests' too: a poll that ended empty is asked again, as an app would.)
		done := make(chan events.Page, 1)
		poll := func() {
			code, p := getPage(t, url+"?wait=30s&after="+cursor, app.ID, secret)
			if code != http.StatusOK {
				t.Errorf("long poll: status %d", code)
			}
			done <- p
		}
		go poll()
		m := addMember(t, st, a.ID, "late@alpha.example")
		for {
			p := <-done
			if len(p.Events) == 0 {
				go poll()
				continue
			}
			if len(p.Events) != 1 || p.Events[0].Resource.ID != m.Account.ID {
				t.Fatalf("long poll = %+v, want the new member", p)
			}
			break
		}
	})
}

// receiver records deliveries; answer decides each response.
type receiver struct {
	mu     sync.Mutex
	got    []delivery
	answer func(n int, w http.ResponseWriter, r *http.Request)
	notify chan struct{}
}

type delivery struct {
	header, key string
	body        []byte
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) (*receiver, string) {
	rc := &receiver{answer: answer, notify: make(chan struct{}, 1000)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, delivery{r.Header.Get(events.SignatureHeader), r.Header.Get("Idempotency-Key"), body})
		n := len(rc.got)
		rc.mu.Unlock()
		if rc.answer != nil {
			rc.answer(n, w, r)
		}
		rc.notify <- struct{}{}
	}))
	t.Cleanup(srv.Close)
	return rc, srv.URL
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

const nodeVerify = `
const crypto = require('crypto');
const fs = require('fs');
const [secret, header, file] = process.argv.slice(2);
const body = fs.readFileSync(file);
const parts = Object.fromEntries(header.split(',').map(p => p.split('=')));
const mac = crypto.createHmac('sha256', secret).update(parts.t + '.').update(body).digest('hex');
process.exit(crypto.timingSafeEqual(Buffer.from(mac), Buffer.from(parts.v1)) ? 0 : 1);
`

func nodeVerifies(t *testing.T, secret, header string, body []byte) bool {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := t.TempDir()
	script, file := filepath.Join(dir, "verify.js"), filepath.Join(dir, "body")
	if err := os.WriteFile(script, []byte(nodeVerify), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	err := exec.Command("node", script, secret, header, file).Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return err == nil
}

func deliverer(st *store.Store) *events.Deliverer {
	return &events.Deliverer{Store: st, Log: quietLog(), AllowPrivate: true, Interval: 10 * time.Millisecond}
}

// A delivery's signature verifies with node's crypto (an independent
// implementation) and with VerifySignature; a changed body does not.
func TestSignatureVerifiedByNode(t *testing.T) {
	c := &clock{now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	st := backends["sqlite"](t)(c)
	o := newOrg(t, st, "Alpha")
	rc, url := newReceiver(t, nil)
	w, err := st.CreateWebhook(t.Context(), support, o.ID, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := addMember(t, st, o.ID, "ada@alpha.example")
	if n := deliverer(st).DeliverOnce(t.Context()); n != 1 {
		t.Fatalf("delivered %d, want 1", n)
	}
	d := rc.deliveries()[0]
	var e events.Wire
	if err := json.Unmarshal(d.body, &e); err != nil || e.Type != "user.created" || e.Resource.ID != m.Account.ID || d.key != e.ID {
		t.Fatalf("delivery %s (key %s): %v", d.body, d.key, err)
	}
	if !nodeVerifies(t, w.Secret, d.header, d.body) {
		t.Errorf("node refused the signature %q", d.header)
	}
	if err := events.VerifySignature(w.Secret, d.header, d.body, 5*time.Minute); err != nil {
		t.Errorf("VerifySignature: %v", err)
	}
	tampered := append(slices.Clone(d.body[:len(d.body)-1]), ' ', '}')
	if nodeVerifies(t, w.Secret, d.header, tampered) {
		t.Errorf("node accepted a changed body")
	}
	if err := events.VerifySignature(w.Secret, d.header, tampered, 5*time.Minute); err == nil {
		t.Errorf("VerifySignature accepted a changed body")
	}
	if err := events.VerifySignature("whsec_other", d.header, d.body, 0); err == nil {
		t.Errorf("VerifySignature accepted another secret")
	}
	old := events.Sign(w.Secret, time.Now().Add(-time.Hour), d.body)
	if err := events.VerifySignature(w.Secret, old, d.body, 5*time.Minute); err != events.ErrSignatureTooOld {
		t.Errorf("an hour old signature: %v", err)
	}
}

// A receiver that fails twice gets the same event again after the back-off,
// with the same idempotency key, then the next events in order.
func TestRetriesThenSucceeds(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(c *clock) *store.Store) {
		c := &clock{now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
		st := open(c)
		o := newOrg(t, st, "Alpha")
		rc, url := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			if n <= 2 {
				w.WriteHeader(http.StatusInternalServerError)
			}
		})
		if _, err := st.CreateWebhook(t.Context(), support, o.ID, url, []string{"user.created"}); err != nil {
			t.Fatal(err)
		}
		addMember(t, st, o.ID, "one@alpha.example")
		addMember(t, st, o.ID, "two@alpha.example")
		want := visible(t, st, o.ID, 2)
		d := deliverer(st)
		for attempt := 1; attempt <= 2; attempt++ {
			if n := d.DeliverOnce(t.Context()); n != 0 {
				t.Fatalf("attempt %d delivered %d", attempt, n)
			}
			if n := d.DeliverOnce(t.Context()); n != 0 || len(rc.deliveries()) != attempt {
				t.Fatalf("retried before the back-off: %d deliveries", len(rc.deliveries()))
			}
			c.Advance(time.Hour)
		}
		if n := d.DeliverOnce(t.Context()); n != 2 {
			t.Fatalf("after the back-off delivered %d, want 2", n)
		}
		var keys []string
		for _, x := range rc.deliveries() {
			keys = append(keys, x.key)
		}
		if w := []string{want[0].ID, want[0].ID, want[0].ID, want[1].ID}; !slices.Equal(keys, w) {
			t.Errorf("deliveries = %v, want %v", keys, w)
		}
	})
}

// A redirect is a failed attempt, never followed; a loopback address is
// refused unless allowed.
func TestRedirectNotFollowedPrivateRefused(t *testing.T) {
	c := &clock{now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	st := backends["sqlite"](t)(c)
	o := newOrg(t, st, "Alpha")
	target, targetURL := newReceiver(t, nil)
	rc, url := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, targetURL, http.StatusTemporaryRedirect)
	})
	if _, err := st.CreateWebhook(t.Context(), support, o.ID, url, nil); err != nil {
		t.Fatal(err)
	}
	addMember(t, st, o.ID, "ada@alpha.example")
	if n := deliverer(st).DeliverOnce(t.Context()); n != 0 {
		t.Fatalf("a redirect counted as delivered")
	}
	if len(rc.deliveries()) != 1 || len(target.deliveries()) != 0 {
		t.Errorf("deliveries: %d to the endpoint, %d to the redirect target; want 1 and 0", len(rc.deliveries()), len(target.deliveries()))
	}
	ws, _ := st.ListWebhooks(t.Context())
	if ws[0].Attempts != 1 || !strings.Contains(ws[0].LastError, "307") {
		t.Errorf("webhook after a redirect = %+v", ws[0])
	}
	// Without AllowPrivate, loopback is refused before connecting.
	c.Advance(time.Hour)
	strict := &events.Deliverer{Store: st, Log: quietLog()}
	if n := strict.DeliverOnce(t.Context()); n != 0 || len(rc.deliveries()) != 1 {
		t.Fatalf("a loopback endpoint was reached without AllowPrivate")
	}
	ws, _ = st.ListWebhooks(t.Context())
	if !strings.Contains(ws[0].LastError, "address not allowed") {
		t.Errorf("last error = %q, want the address refused", ws[0].LastError)
	}
}

// Two replicas (two stores on one PostgreSQL database) deliver to slow
// receivers at once: each endpoint gets each event once, in order.
func TestTwoDeliverersSlowReceiver(t *testing.T) {
	open := backends["postgres"](t)
	c := &clock{now: time.Now().UTC()}
	st1, st2 := open(c), open(c)
	o := newOrg(t, st1, "Alpha")
	const endpoints, n = 3, 15
	var rcs []*receiver
	for range endpoints {
		rc, url := newReceiver(t, func(int, http.ResponseWriter, *http.Request) { time.Sleep(20 * time.Millisecond) })
		rcs = append(rcs, rc)
		if _, err := st1.CreateWebhook(t.Context(), support, o.ID, url, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		addMember(t, st2, o.ID, fmt.Sprintf("m%d@alpha.example", i))
	}
	want := visible(t, st1, o.ID, n)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for _, st := range []*store.Store{st1, st2} {
		wg.Go(func() { deliverer(st).Run(ctx) })
	}
	for _, rc := range rcs {
		for range n {
			select {
			case <-rc.notify:
			case <-t.Context().Done():
				t.Fatalf("deliveries did not arrive")
			}
		}
	}
	cancel()
	wg.Wait()
	for i, rc := range rcs {
		var keys []string
		for _, d := range rc.deliveries() {
			keys = append(keys, d.key)
		}
		var wantKeys []string
		for _, e := range want {
			wantKeys = append(wantKeys, e.ID)
		}
		if !slices.Equal(keys, wantKeys) {
			t.Errorf("endpoint %d got %d deliveries %v\nwant each event once in order %v", i, len(keys), keys, wantKeys)
		}
	}
}
