package scim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/idbridge/idbridge/scim"
	"github.com/idbridge/idbridge/store"
)

// logEnv is a SCIM endpoint with a running request log.
func logEnv(t *testing.T, kind string, opt scim.RequestLogOptions) (*env, *scim.RequestLog) {
	t.Helper()
	e := newEnv(t, kind, scim.Options{}) // for the store and orgs
	l := scim.NewRequestLog(e.st, opt)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	e.srv.Config.Handler = withMount(scim.NewHandler(e.st, scim.Options{BaseURL: "https://id.example.com", RatePerSecond: 1e9, RequestLog: l}))
	return e, l
}

func withMount(h http.Handler) http.Handler { return mountAt("/scim/v2", h) }

func mountAt(prefix string, h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", h)
	return mux
}

// TestRequestLogEntraRefusedByRule: Entra's PATCH of a user's email while
// SSO is on is refused by rule 1, and the org's SCIM log shows it with the
// rule and its sentence; a password sent in a body never reaches the log.
func TestRequestLogEntraRefusedByRule(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e, l := logEnv(t, kind, scim.RequestLogOptions{})
			ctx := t.Context()
			const secret = "Pa55-w0rd-N3ver-Logged"
			withPassword := strings.Replace(entraUser, `"active":true,`, `"active":true,"password":"`+secret+`",`, 1)
			r := e.must(e.do("POST", "/Users", withPassword), http.StatusCreated)
			id := r.str("id")
			sup := store.SupportActor("test")
			c, err := e.st.CreateConnection(ctx, sup, e.org.ID, store.NewConnection{Kind: store.ConnectionOIDC, Name: "Entra"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.st.RecordConnectionTest(ctx, sup, e.org.ID, c.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := e.st.EnableSSO(ctx, sup, e.org.ID, c.ID); err != nil {
				t.Fatal(err)
			}
			// Entra's dialect: capitalized op, the userName and the work email.
			e.must(e.do("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+
				`{"op":"Replace","path":"userName","value":"renamed@acme.example"},`+
				`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"renamed@acme.example"}]}`), http.StatusBadRequest)
			e.do("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+
				`{"op":"replace","path":"password","value":"`+secret+`"}]}`)
			e.must(e.do("GET", "/Users?filter="+q(`userName eq "Test_User_ab6490ee@acme.example"`), nil), http.StatusOK)
			e.doToken("wrong", "GET", "/Users", nil) // no org: not logged
			l.Flush(ctx)

			rs, _, err := e.st.ListSCIMRequests(ctx, e.org.ID, store.LogQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != 4 {
				t.Fatalf("%d records, want 4: %+v", len(rs), rs)
			}
			for _, rec := range rs {
				if strings.Contains(rec.RequestBody+rec.ResponseBody+rec.Path+rec.Filter, secret) {
					t.Errorf("the password reached the log: %+v", rec)
				}
				if rec.TokenName != "Acme IdP" {
					t.Errorf("token name %q", rec.TokenName)
				}
			}
			get, pw, refused, post := rs[0], rs[1], rs[2], rs[3]
			if get.Method != "GET" || get.Filter != `userName eq "Test_User_ab6490ee@acme.example"` || get.Status != 200 {
				t.Errorf("the search: %+v", get)
			}
			if !strings.Contains(pw.RequestBody, `"value":"[removed]"`) {
				t.Errorf("the password PATCH is logged as %s", pw.RequestBody)
			}
			if post.Status != 201 || !strings.Contains(post.RequestBody, `"password":"[removed]"`) ||
				!strings.Contains(post.RequestBody, "Test_User_ab6490ee@acme.example") || !strings.Contains(post.ResponseBody, id) {
				t.Errorf("the create: %+v", post)
			}
			if refused.Method != "PATCH" || refused.Path != "/Users/"+id || refused.Status != 400 ||
				refused.ErrorType != "mutability" || refused.Rule != int(store.RuleSSOEmailLocked) ||
				!strings.Contains(refused.RuleSentence, "Disable SSO") || !strings.Contains(refused.RequestBody, "renamed@acme.example") {
				t.Errorf("the refused PATCH: %+v", refused)
			}
			// The filters find it.
			four, _, err := e.st.ListSCIMRequests(ctx, e.org.ID, store.LogQuery{StatusClass: 4, Method: "PATCH", User: id})
			if err != nil || len(four) < 1 || four[len(four)-1].Seq != refused.Seq {
				t.Errorf("filtered: %+v %v", four, err)
			}
		})
	}
}

// TestRequestLogFullBufferDrops: with the writer not running and the buffer
// full, requests are still answered, and the dropped records are counted.
func TestRequestLogFullBufferDrops(t *testing.T) {
	e := newEnv(t, "sqlite", scim.Options{})
	var dropped atomic.Int64
	l := scim.NewRequestLog(e.st, scim.RequestLogOptions{Buffer: 2, Dropped: func() { dropped.Add(1) }})
	e.srv.Config.Handler = withMount(scim.NewHandler(e.st, scim.Options{BaseURL: "https://id.example.com", RatePerSecond: 1e9, RequestLog: l}))
	for range 5 {
		e.must(e.do("GET", "/Users", nil), http.StatusOK)
	}
	if n := dropped.Load(); n != 3 {
		t.Fatalf("%d records dropped, want 3", n)
	}
	// Run writes the two buffered ones.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	l.Run(ctx)
	rs, _, err := e.st.ListSCIMRequests(t.Context(), e.org.ID, store.LogQuery{})
	if err != nil || len(rs) != 2 {
		t.Fatalf("%d records after the shutdown drain, want 2 (%v)", len(rs), err)
	}
}

// BenchmarkRequestLog measures what the request log costs a SCIM request:
// the same PATCH of a user (a write, as in a sync) with the log off and on,
// the writer running (SQLite).
func BenchmarkRequestLog(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			e := newEnv(b, "sqlite", scim.Options{})
			opt := scim.Options{BaseURL: "https://id.example.com", RatePerSecond: 1e9}
			if on {
				l := scim.NewRequestLog(e.st, scim.RequestLogOptions{})
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { l.Run(ctx); close(done) }()
				b.Cleanup(func() { cancel(); <-done })
				opt.RequestLog = l
			}
			h := mountAt("/scim/v2", scim.NewHandler(e.st, opt))
			id := e.createUser(userJSON("bench@acme.example", "bench@acme.example", "bench"))
			body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"T"}]}`
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				req := httptest.NewRequest("PATCH", "/scim/v2/Users/"+id, strings.NewReader(strings.Replace(body, `"T"`, `"T`+strconv.Itoa(i)+`"`, 1)))
				req.Header.Set("Authorization", "Bearer "+e.token)
				req.Header.Set("Content-Type", "application/scim+json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("PATCH = %d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
