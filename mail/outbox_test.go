package mail

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/sqlite"
)

// outboxFixture is a real store on SQLite with one org that has a custom sender.
type outboxFixture struct {
	st  *store.Store
	org store.Org
	now time.Time
	mu  sync.Mutex
}

func (f *outboxFixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *outboxFixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func newOutboxFixture(t *testing.T) *outboxFixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "idbridge.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := &outboxFixture{now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	f.st = store.New(db, store.Options{BaseURL: "http://idbridge.test", Now: f.clock,
		Password: store.PasswordParams{MemoryKiB: 64, Passes: 1, Threads: 1}})
	support := store.SupportActor("test")
	c, err := f.st.CreateCompany(ctx, support, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if f.org, err = f.st.CreateOrg(ctx, support, store.NewOrg{CompanyID: c.ID, Name: "Acme Hotels", Domains: []string{"acme.example"}}); err != nil {
		t.Fatal(err)
	}
	name, from := "Acme Front Desk", "frontdesk@acme.example"
	if f.org, err = f.st.UpdateOrg(ctx, support, f.org.ID, store.OrgSettings{SenderName: &name, SenderEmail: &from}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *outboxFixture) invite(t *testing.T, email string) {
	t.Helper()
	if _, err := f.st.CreateMember(context.Background(), store.SupportActor("test"), f.org.ID, store.NewMember{Email: email, Invite: true}); err != nil {
		t.Fatal(err)
	}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Two replicas deliver the same outbox at once over a real SMTP server: each
// invitation arrives once, from the org's custom sender, with a working link.
func TestOutboxTwoReplicasSendEachMessageOnce(t *testing.T) {
	f := newOutboxFixture(t)
	be := &backend{}
	sender := startServer(t, be, config.TLSNone)
	const n = 30
	for i := 0; i < n; i++ {
		f.invite(t, "user"+string(rune('a'+i%26))+strings.Repeat("x", i/26)+"@acme.example")
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ob := &Outbox{Store: f.st, Sender: sender, Log: quietLog(), Batch: 3}
			for ob.DeliverOnce(ctx) > 0 {
			}
		}()
	}
	wg.Wait()
	got := be.messages()
	if len(got) != n {
		t.Fatalf("SMTP server received %d messages, want %d (each once)", len(got), n)
	}
	seen := map[string]bool{}
	for _, m := range got {
		if seen[m.To[0]] {
			t.Fatalf("%s received two messages", m.To[0])
		}
		seen[m.To[0]] = true
		msg, body := parse(t, m.Data)
		if from := msg.Header.Get("From"); !strings.Contains(from, "frontdesk@acme.example") || !strings.Contains(from, "Acme Front Desk") {
			t.Fatalf("From = %q, want the org's custom sender", from)
		}
		if !strings.Contains(body, "http://idbridge.test/invitation?token=inv_") {
			t.Fatalf("body has no invitation link:\n%s", body)
		}
	}
	f.wantAllSentOnce(t)
}

// A temporary refusal is retried after back-off; a permanent one is given up.
func TestOutboxRetriesTemporaryAndGivesUpPermanent(t *testing.T) {
	f := newOutboxFixture(t)
	be := &backend{}
	sender := startServer(t, be, config.TLSNone)
	f.invite(t, "later@acme.example")
	f.invite(t, "reject@acme.example")
	ctx := context.Background()
	ob := &Outbox{Store: f.st, Sender: sender, Log: quietLog()}
	if got := ob.DeliverOnce(ctx); got != 2 {
		t.Fatalf("first pass claimed %d, want 2", got)
	}
	if got := ob.DeliverOnce(ctx); got != 0 {
		t.Fatalf("second pass claimed %d, want 0 (back-off)", got)
	}
	msgs, err := f.st.ListOutbox(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		switch m.To {
		case "later@acme.example":
			if m.FailedAt != nil || m.SentAt != nil || m.Attempts != 1 || !m.NextAttempt.After(f.clock()) || !strings.Contains(m.LastError, "451") {
				t.Fatalf("temporary failure recorded as %+v", m)
			}
		case "reject@acme.example":
			if m.FailedAt == nil || !strings.Contains(m.LastError, "550") {
				t.Fatalf("permanent failure recorded as %+v", m)
			}
		}
	}
	f.advance(store.OutboxBackoff(1) + time.Second)
	if got := ob.DeliverOnce(ctx); got != 1 {
		t.Fatalf("after back-off claimed %d, want the temporary one again", got)
	}
}

// slowServer makes an SMTP server take slowStep of the store's clock per
// message, deterministically: it accepts a message only when every running
// sender waits on it (or is done), the oldest first, and advances the clock
// as it does. So between renewing a lease and recording its send, a sender
// sees at most two messages accepted (another sender's and its own).
type slowServer struct {
	mu      sync.Mutex
	cond    *sync.Cond
	waiting []chan struct{}
	running int // senders not done
}

const slowStep = 50 * time.Second // two steps are within store.OutboxLease

func newSlowServer(senders int) *slowServer {
	s := &slowServer{running: senders}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// data is the backend's DATA hook: it waits until the message is accepted.
func (s *slowServer) data() error {
	ch := make(chan struct{})
	s.mu.Lock()
	s.waiting = append(s.waiting, ch)
	s.cond.Broadcast()
	s.mu.Unlock()
	<-ch
	return nil
}

func (s *slowServer) senderDone() {
	s.mu.Lock()
	s.running--
	s.cond.Broadcast()
	s.mu.Unlock()
}

// schedule accepts messages until every sender is done.
func (s *slowServer) schedule(f *outboxFixture) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		for s.running > 0 && len(s.waiting) < s.running {
			s.cond.Wait()
		}
		if s.running == 0 {
			return
		}
		ch := s.waiting[0]
		s.waiting = s.waiting[1:]
		f.advance(slowStep)
		close(ch)
	}
}

// Two replicas on one store with a slow mail server (50 s a message, 30
// invitations, 20 claimed at once): a claim's lease (2 min) runs out long
// before its last message is sent. The other replica takes those messages
// over and the first skips them, so each message is delivered exactly once.
func TestOutboxSlowServerTwoReplicasDeliverOnce(t *testing.T) {
	f := newOutboxFixture(t)
	slow := newSlowServer(2)
	be := &backend{data: slow.data}
	sender := startServer(t, be, config.TLSNone)
	const n = 30
	for i := range n {
		f.invite(t, fmt.Sprintf("user%02d@acme.example", i))
	}
	ctx := context.Background()
	for range 2 {
		go func() {
			defer slow.senderDone()
			ob := &Outbox{Store: f.st, Sender: sender, Log: quietLog()} // the default batch, 20
			for ob.DeliverOnce(ctx) > 0 {
			}
		}()
	}
	slow.schedule(f)

	got := map[string]int{}
	for _, m := range be.messages() {
		got[m.To[0]]++
	}
	for i := range n {
		if to := fmt.Sprintf("user%02d@acme.example", i); got[to] != 1 {
			t.Errorf("%s received %d messages, want 1", to, got[to])
		}
	}
	f.wantAllSentOnce(t)
}

// wantAllSentOnce checks that every outbox row was sent after one attempt.
func (f *outboxFixture) wantAllSentOnce(t *testing.T) {
	t.Helper()
	msgs, err := f.st.ListOutbox(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.SentAt == nil || m.Attempts != 1 {
			t.Errorf("outbox row to %s: sentAt %v attempts %d, want sent after one attempt", m.To, m.SentAt, m.Attempts)
		}
	}
}

// A shutdown while a message is being sent gives the message and the rest of
// the claim back, due at once and with no attempt spent; the next sender
// delivers both.
func TestOutboxShutdownMidSendSpendsNoAttempt(t *testing.T) {
	f := newOutboxFixture(t)
	ctx, shutdown := context.WithCancel(context.Background())
	be := &backend{data: func() error {
		shutdown() // the replica stops while the server receives the message
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "connection lost"}
	}}
	sender := startServer(t, be, config.TLSNone)
	f.invite(t, "ada@acme.example")
	f.invite(t, "bob@acme.example")
	ob := &Outbox{Store: f.st, Sender: sender, Log: quietLog()}
	if got := ob.DeliverOnce(ctx); got != 2 {
		t.Fatalf("claimed %d, want 2", got)
	}
	msgs, err := f.st.ListOutbox(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Attempts != 0 || m.SentAt != nil || m.FailedAt != nil || m.LastError != "" || m.NextAttempt.After(f.clock()) {
			t.Errorf("after a shutdown mid-send %s is %+v, want due now with no attempt", m.To, m)
		}
	}

	be.data = nil
	next := &Outbox{Store: f.st, Sender: sender, Log: quietLog()}
	if got := next.DeliverOnce(context.Background()); got != 2 {
		t.Fatalf("the next sender claimed %d, want both at once", got)
	}
	if got := len(be.messages()); got != 2 {
		t.Fatalf("server received %d messages, want 2", got)
	}
}
