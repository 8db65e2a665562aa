package saml

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/sso/ssotest"
	"github.com/idbridge/idbridge/store"
)

func TestValidateSettings(t *testing.T) {
	idp := newTestIdP(t)
	served := idp.metadata()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			_, _ = w.Write([]byte(strings.Repeat(" ", maxMetadataBytes+10)))
			return
		}
		_, _ = w.Write([]byte(served))
	}))
	defer srv.Close()
	ctx := context.Background()
	st := ssotest.NewStore()
	open := newTestProvider(t, st, &ssotest.Recorder{}) // AllowPrivate: true
	strict, err := New(st, &ssotest.Recorder{}, Options{BaseURL: testBase, Sealer: ssotest.Sealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	settings := func(s Settings) []byte { b, _ := json.Marshal(s); return b }

	t.Run("pasted metadata gets a sealed key pair", func(t *testing.T) {
		out, err := open.Validate(ctx, settings(Settings{IDPMetadataXML: served}))
		if err != nil {
			t.Fatal(err)
		}
		s, _ := ParseSettings(out)
		if s.SPCertificate == "" || s.SPKeySealed == "" || strings.Contains(string(out), "PRIVATE KEY") {
			t.Fatalf("settings = %s", out)
		}
		if _, _, err := open.openKeyPair(s); err != nil {
			t.Fatal(err)
		}
		other, _ := sso.NewSealer([]byte(strings.Repeat("another-server-key", 2)))
		o2, _ := New(st, &ssotest.Recorder{}, Options{BaseURL: testBase, Sealer: other})
		if _, _, err := o2.openKeyPair(s); err == nil {
			t.Fatal("another server key opened the SP key")
		}
		again, err := open.Validate(ctx, out) // an update carrying the key keeps it
		s2, _ := ParseSettings(again)
		if err != nil || s2.SPCertificate != s.SPCertificate {
			t.Fatalf("update changed the key pair: %v", err)
		}
		pub, _ := Public(out)
		if strings.Contains(string(pub), "spPrivateKeySealed") {
			t.Fatalf("Public shows the sealed key: %s", pub)
		}
	})
	t.Run("metadata URL on loopback refused unless allowed", func(t *testing.T) {
		if _, err := strict.Validate(ctx, settings(Settings{IDPMetadataURL: srv.URL})); !errors.Is(err, sso.ErrForbiddenAddress) {
			t.Fatalf("err = %v, want ErrForbiddenAddress", err)
		}
		out, err := open.Validate(ctx, settings(Settings{IDPMetadataURL: srv.URL}))
		if err != nil || !strings.Contains(string(out), idp.entityID) {
			t.Fatalf("allowed fetch: %v", err)
		}
	})
	t.Run("oversized metadata refused", func(t *testing.T) {
		if _, err := open.Validate(ctx, settings(Settings{IDPMetadataURL: srv.URL + "/big"})); err == nil {
			t.Fatal("accepted")
		}
	})
	t.Run("bad metadata refused", func(t *testing.T) {
		for name, md := range map[string]string{
			"no metadata":       "",
			"not XML":           "hello",
			"doctype":           `<!DOCTYPE x [<!ENTITY a "b">]>` + served,
			"no signing cert":   strings.Replace(served, `use="signing"`, `use="encryption"`, 1),
			"no SSO endpoint":   strings.Replace(served, "SingleSignOnService", "ArtifactResolutionService", 1),
			"an SP, not an IdP": strings.ReplaceAll(served, "IDPSSODescriptor", "SPSSODescriptor"),
		} {
			if _, err := open.Validate(ctx, settings(Settings{IDPMetadataXML: md})); err == nil {
				t.Errorf("%s: accepted", name)
			}
		}
	})
}

func TestRefreshUsesRotatedIdPCertificate(t *testing.T) {
	oldIdP, newIdP := newTestIdP(t), newTestIdP(t)
	served := oldIdP.metadata()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(served)) }))
	defer srv.Close()
	st := ssotest.NewStore()
	p := newTestProvider(t, st, &ssotest.Recorder{})
	raw, _ := json.Marshal(Settings{IDPMetadataURL: srv.URL, AllowIDPInitiated: true})
	settings, err := p.Validate(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	c := store.Connection{ID: "c1", Kind: store.ConnectionSAML, Settings: settings, UpdatedAt: time.Now().Add(-time.Minute)}
	st.Put(c)
	if _, err := p.Verify(context.Background(), c, signedResponse(t, p, c, newIdP, resp{}), "", ""); err == nil {
		t.Fatal("a response signed by the not-yet-published key was accepted")
	}
	served = newIdP.metadata() // the IdP rotates its certificate
	if err := p.Refresh(context.Background(), []store.Connection{c}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Verify(context.Background(), c, signedResponse(t, p, c, newIdP, resp{}), "", ""); err != nil {
		t.Fatalf("after Refresh: %v", err)
	}
}
