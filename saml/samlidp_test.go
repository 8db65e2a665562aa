package saml

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/crewjam/saml/samlidp"
	"github.com/google/uuid"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/sso/ssotest"
	"github.com/idbridge/idbridge/store"
)

// TestCrewjamIdP runs the whole browser flow against crewjam's samlidp in
// process (fresh certificates): with RSA-SHA256 (its default since v0.6) it
// signs in; with RSA-SHA1 the response is refused.
func TestCrewjamIdP(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method string
		ok     bool
	}{
		{name: "RSA-SHA256 signs in", method: dsig.RSASHA256SignatureMethod, ok: true},
		{name: "RSA-SHA1 refused", method: dsig.RSASHA1SignatureMethod, ok: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, errs := crewjamFlow(t, tc.method)
			if !tc.ok {
				if len(res) != 0 || len(errs) != 1 || !errors.Is(errs[0], ErrWeakSignature) {
					t.Fatalf("results %v, errors %v: want one ErrWeakSignature", res, errs)
				}
				return
			}
			if len(res) != 1 {
				t.Fatalf("no sign-in: errors %v", errs)
			}
			id := res[0].Identity
			if id.Subject != "alice@example.com" || id.Email != "alice@example.com" || id.GivenName != "Alice" || id.FamilyName != "Liddell" {
				t.Fatalf("identity = %+v", id)
			}
		})
	}
}

func crewjamFlow(t *testing.T, method string) ([]sso.Result, []error) {
	st, fin := ssotest.NewStore(), &ssotest.Recorder{}
	p, spBase := ssotest.StartSP(t, func(base string) (*Provider, error) {
		return New(st, fin, Options{BaseURL: base, Sealer: ssotest.Sealer(t), Fetch: sso.FetchOptions{AllowPrivate: true}})
	})

	key := newTestIdP(t)
	idpSrv := httptest.NewUnstartedServer(nil)
	idpURL, _ := url.Parse("http://" + idpSrv.Listener.Addr().String())
	idp, err := samlidp.New(samlidp.Options{URL: *idpURL, Key: key.key, Signer: key.key, Certificate: key.cert,
		Store: &samlidp.MemoryStore{}, Logger: quietLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	idp.IDP.SignatureMethod = method
	idpSrv.Config.Handler = idp
	idpSrv.Start()
	defer idpSrv.Close()

	raw, _ := json.Marshal(Settings{IDPMetadataURL: idpURL.String() + "/metadata"})
	settings, err := p.Validate(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	c := store.Connection{ID: uuid.NewString(), OrgID: uuid.NewString(), Kind: store.ConnectionSAML, Settings: settings, UpdatedAt: time.Now()}
	st.Put(c)
	resp, err := http.Get(p.EntityID(c.ID))
	if err != nil {
		t.Fatal(err)
	}
	spMeta, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	put := func(path string, body []byte) {
		req, _ := http.NewRequest(http.MethodPut, idpURL.String()+path, bytes.NewReader(body))
		r, err := http.DefaultClient.Do(req)
		if err != nil || r.StatusCode/100 != 2 {
			t.Fatalf("PUT %s: %v %v", path, err, r)
		}
		r.Body.Close()
	}
	put("/services/idbridge", spMeta)
	put("/users/alice", []byte(`{"password":"alicepw","email":"alice@example.com","given_name":"Alice","surname":"Liddell"}`))

	w := httptest.NewRecorder()
	if err := p.Start(w, httptest.NewRequest("GET", "/login", nil), c, "", false); err != nil {
		t.Fatal(err)
	}
	jar := ssotest.Browser(t, w, spBase) // the browser that started the flow
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err = client.Get(w.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	_ = ssotest.ReadBody(t, resp) // login form
	// samlidp's form posts the request back without the HTTP-Redirect
	// binding's query signature, which it then refuses (our metadata says
	// requests are signed): sign in at its /login, which answers with the
	// session cookie, then send the signed request again.
	if resp, err = client.PostForm(idpURL.String()+"/login", url.Values{"user": {"alice"}, "password": {"alicepw"}}); err != nil {
		t.Fatal(err)
	}
	_ = ssotest.ReadBody(t, resp)
	if resp, err = client.Get(w.Header().Get("Location")); err != nil {
		t.Fatal(err)
	}
	page := ssotest.ReadBody(t, resp) // now the auto-POST to our ACS
	resp = ssotest.SubmitForm(t, client, resp.Request.URL, page, nil)
	_ = ssotest.ReadBody(t, resp)
	return fin.Results, fin.Errs
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}
func (quietLogger) Print(...any)          {}
func (quietLogger) Println(...any)        {}
func (quietLogger) Fatal(...any)          {}
func (quietLogger) Fatalf(string, ...any) {}
func (quietLogger) Fatalln(...any)        {}
func (quietLogger) Panic(...any)          {}
func (quietLogger) Panicf(string, ...any) {}
func (quietLogger) Panicln(...any)        {}
