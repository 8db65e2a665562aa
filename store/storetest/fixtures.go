package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/idbridge/idbridge/store"
)

// BaseURL is the public URL of the stores the suite builds.
const BaseURL = "http://idbridge.test"

// cheapPasswords keep argon2id real but fast.
var cheapPasswords = store.PasswordParams{MemoryKiB: 64, Passes: 1, Threads: 1}

// defaultEpoch is where a subtest's clock starts unless it asks otherwise.
var defaultEpoch = time.Date(2030, 3, 4, 9, 0, 0, 0, time.UTC)

// support is platform support, the actor fixtures are created by.
var support = store.SupportActor("storetest")

// Clock is a controllable store clock, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is one subtest's world: a Store with its own clock on the shared backend.
type env struct {
	*testing.T
	ctx   context.Context
	b     store.Backend
	s     *store.Store
	clock *Clock
}

func newEnv(t *testing.T, b store.Backend, epoch time.Time) *env {
	if epoch.IsZero() {
		epoch = defaultEpoch
	}
	c := &Clock{now: epoch}
	return &env{T: t, ctx: t.Context(), b: b, s: newStore(b, c), clock: c}
}

// newStore is a Store over b, as a replica would build it.
func newStore(b store.Backend, c *Clock) *store.Store {
	return store.New(b, store.Options{BaseURL: BaseURL, Now: c.Now, Password: cheapPasswords})
}

// must fails the test on err and returns v: must(e.s.GetOrg(ctx, id))(e).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// ok fails the test on err.
func (e *env) ok(err error, what string) {
	e.Helper()
	if err != nil {
		e.Fatalf("%s: %v", what, err)
	}
}

// rnd is a random lower-case tag for names, slugs, domains and emails.
func rnd() string { return fmt.Sprintf("%010x", rand.Uint64()&(1<<40-1)) }

// email is a new, unused address.
func email(tag string) string { return fmt.Sprintf("%s-%s@%s.example.com", tag, rnd(), rnd()) }

func (e *env) company() store.Company {
	e.Helper()
	return must(e.s.CreateCompany(e.ctx, support, "Company "+rnd()))(e)
}

func (e *env) org(companyID string) store.Org {
	e.Helper()
	r := rnd()
	return must(e.s.CreateOrg(e.ctx, support, store.NewOrg{CompanyID: companyID, Name: "Org " + r,
		Slug: "org-" + r, Domains: []string{r + ".idbridge.test"}}))(e)
}

// tenant is an org with one enabled system admin.
type tenant struct {
	store.Org
	Admin store.Member
	// Actor is the admin acting through the admin console.
	Actor store.Actor
}

// tenant makes a new company with one org and its admin.
func (e *env) tenant() tenant {
	e.Helper()
	return e.tenantIn(e.company().ID)
}

// tenantIn makes an org with its admin in an existing company.
func (e *env) tenantIn(companyID string) tenant {
	e.Helper()
	o := e.org(companyID)
	admin := e.member(o.ID, func(n *store.NewMember) { n.UserType = store.UserTypeSystemAdmin })
	return tenant{Org: o, Admin: admin, Actor: store.AdminActor(o.ID, admin.Account.ID)}
}

// member adds a new person to an org (as support), after applying opts.
func (e *env) member(orgID string, opts ...func(*store.NewMember)) store.Member {
	e.Helper()
	r := rnd()
	in := store.NewMember{Email: email("m"), GivenName: "Given" + r, FamilyName: "Family" + r}
	for _, o := range opts {
		o(&in)
	}
	return must(e.s.CreateMember(e.ctx, support, orgID, in))(e)
}

// withEmail is a member option.
func withEmail(addr string) func(*store.NewMember) {
	return func(n *store.NewMember) { n.Email = addr }
}

// withPassword is a member option: the new account's password.
func withPassword(pw string) func(*store.NewMember) {
	return func(n *store.NewMember) { n.Password = pw }
}

// password is a new valid password.
func password() string { return "pw-" + rnd() + "-secret" }

// connection adds a SAML connection to the org, tested (rule 12) or not.
func (e *env) connection(tn tenant, tested bool) store.Connection {
	e.Helper()
	c := must(e.s.CreateConnection(e.ctx, tn.Actor, tn.ID, store.NewConnection{Kind: store.ConnectionSAML,
		Name: "Okta " + rnd(), Settings: json.RawMessage(`{"metadataUrl":"https://idp.example.com/metadata"}`)}))(e)
	if tested {
		c = must(e.s.RecordConnectionTest(e.ctx, tn.Actor, tn.ID, c.ID))(e)
	}
	return c
}

// enableSSO turns SSO on for the org through a new tested connection.
func (e *env) enableSSO(tn tenant) store.Connection {
	e.Helper()
	c := e.connection(tn, true)
	must(e.s.EnableSSO(e.ctx, tn.Actor, tn.ID, c.ID))(e)
	return c
}

// scim returns the actor of a new SCIM token of the org, and its secret.
func (e *env) scim(tn tenant) (store.Actor, string) {
	e.Helper()
	secret, tok := must3(e.s.CreateSCIMToken(e.ctx, tn.Actor, tn.ID, "Entra "+rnd()))(e)
	return store.SCIMActor(tok), secret
}

func must3[A, B any](a A, b B, err error) func(testing.TB) (A, B) {
	return func(t testing.TB) (A, B) {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return a, b
	}
}

// mails lists the outbox messages to an address, oldest first.
func (e *env) mails(to string) []store.OutboxMessage {
	e.Helper()
	return must(e.s.ListOutbox(e.ctx, to))(e)
}

// lastMail is the newest message of a kind to an address.
func (e *env) lastMail(to, kind string) store.OutboxMessage {
	e.Helper()
	ms := e.mails(to)
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].Kind == kind {
			return ms[i]
		}
	}
	e.Fatalf("no %s message to %s among %d", kind, to, len(ms))
	return store.OutboxMessage{}
}

var linkRe = regexp.MustCompile(`(https?://\S+)\?token=(\S+)`)

// linkSecret is the token of the link at path in a message's body.
func (e *env) linkSecret(m store.OutboxMessage, path string) string {
	e.Helper()
	got := linkRe.FindStringSubmatch(m.Body)
	if got == nil || got[1] != BaseURL+path {
		e.Fatalf("message %s has no %s link: %q", m.Kind, BaseURL+path, m.Body)
	}
	secret, err := url.QueryUnescape(got[2])
	e.ok(err, "unescape link token")
	return secret
}

// invitationSecret is the token of the newest invitation sent to the address.
func (e *env) invitationSecret(to string) string {
	e.Helper()
	return e.linkSecret(e.lastMail(to, "invitation"), "/invitation")
}

// resetSecret is the token of the newest reset link sent to the address.
func (e *env) resetSecret(to string) string {
	e.Helper()
	return e.linkSecret(e.lastMail(to, "password_reset"), "/password/reset")
}

// auditWhere scans the whole audit log, newest first, for entries keep accepts.
func (e *env) auditWhere(keep func(store.AuditEntry) bool) []store.AuditEntry {
	e.Helper()
	var out []store.AuditEntry
	q := store.AuditQuery{Limit: store.MaxPageSize}
	for {
		page := must(e.s.ListAudit(e.ctx, q))(e)
		for _, a := range page {
			if keep(a) {
				out = append(out, a)
			}
		}
		if len(page) < q.Limit {
			return out
		}
		q.BeforeSeq = page[len(page)-1].Seq
	}
}

// auditOf lists the org's audit entries, newest first.
func (e *env) auditOf(orgID string) []store.AuditEntry {
	e.Helper()
	return must(e.s.ListAudit(e.ctx, store.AuditQuery{OrgID: orgID, Limit: store.MaxPageSize}))(e)
}

// actions lists the actions of the org's audit entries, oldest first.
func (e *env) actions(orgID string) []string {
	e.Helper()
	var out []string
	for _, a := range e.auditOf(orgID) {
		out = slices.Insert(out, 0, a.Action)
	}
	return out
}

// race runs fns at once, behind a common start barrier, and returns their errors.
func race(fns ...func() error) []error {
	start := make(chan struct{})
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() {
			<-start
			errs[i] = fn()
		})
	}
	close(start)
	wg.Wait()
	return errs
}
