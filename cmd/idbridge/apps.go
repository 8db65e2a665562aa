package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/idbridge/idbridge/store"
)

// Application commands of platform support: the platform's apps that sign
// people in through idbridge (OAuth clients of the OpenID Provider).

func appJSON(a store.App) map[string]any {
	return map[string]any{"clientId": a.ID, "name": a.Name, "public": a.Public(), "redirectUris": nonNil(a.RedirectURIs),
		"postLogoutRedirectUris": nonNil(a.PostLogoutRedirectURIs), "orgIds": nonNil(a.OrgIDs),
		"createdAt": a.CreatedAt, "updatedAt": a.UpdatedAt}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// orgsText says which orgs an app serves.
func orgsText(a store.App) string {
	if len(a.OrgIDs) == 0 {
		return "every organization"
	}
	return strings.Join(a.OrgIDs, ", ")
}

func printApp(w io.Writer, a store.App, secret, base string) {
	fmt.Fprintf(w, "client_id:      %s\n", a.ID)
	if secret != "" {
		fmt.Fprintf(w, "client_secret:  %s\n                (shown once: store it in the app's secrets now)\n", secret)
	}
	kind := "confidential (client secret + PKCE)"
	if a.Public() {
		kind = "public (PKCE, no secret)"
	}
	fmt.Fprintf(w, "name:           %s\ntype:           %s\nredirect URIs:  %s\n", a.Name, kind, strings.Join(a.RedirectURIs, " "))
	if len(a.PostLogoutRedirectURIs) > 0 {
		fmt.Fprintf(w, "after logout:   %s\n", strings.Join(a.PostLogoutRedirectURIs, " "))
	}
	fmt.Fprintf(w, "organizations:  %s\n", orgsText(a))
	if base != "" {
		fmt.Fprintf(w, "issuer:         %s\ndiscovery:      %s/.well-known/openid-configuration\n", base, base)
	}
}

func cmdAppCreate(e env, args []string) error {
	fs := flags("app create", e)
	name := fs.String("name", "", "the application's name")
	var redirects, logouts, orgs multi
	fs.Var(&redirects, "redirect-uri", "a redirect URI (repeatable), matched exactly")
	fs.Var(&logouts, "post-logout-redirect-uri", "where RP-initiated logout may return (repeatable)")
	fs.Var(&orgs, "org", "restrict the app to this organization id (repeatable; default every org)")
	public := fs.Bool("public", false, "a public client (single-page or native app): no secret, PKCE only")
	asJSON := fs.Bool("json", false, "print JSON")
	st, done, err := openWith(e, fs, args, "name", "redirect-uri")
	if err != nil {
		return err
	}
	defer done()
	a, secret, err := st.CreateApp(e.ctx, supportActor(e), store.NewApp{Name: *name, RedirectURIs: redirects,
		PostLogoutRedirectURIs: logouts, Public: *public, OrgIDs: orgs})
	if err != nil {
		return err
	}
	base, _ := linkBaseURL(e, st)
	v := appJSON(a)
	if secret != "" {
		v["clientSecret"] = secret
	}
	if base != "" {
		v["issuer"] = base
	}
	return output(e, *asJSON, v, func(w io.Writer) { printApp(w, a, secret, base) })
}

func cmdAppList(e env, args []string) error {
	fs := flags("app list", e)
	asJSON := fs.Bool("json", false, "print JSON")
	st, done, err := openWith(e, fs, args)
	if err != nil {
		return err
	}
	defer done()
	as, err := st.ListApps(e.ctx)
	if err != nil {
		return err
	}
	return printList(e, *asJSON, as, appJSON, "CLIENT_ID\tNAME\tTYPE\tORGS\tREDIRECT_URIS", func(a store.App) string {
		kind := "confidential"
		if a.Public() {
			kind = "public"
		}
		return strings.Join([]string{a.ID, a.Name, kind, orgsText(a), strings.Join(a.RedirectURIs, " ")}, "\t")
	})
}

// openApp parses --id (and --json) of a command on one app and opens the store.
func openApp(e env, name string, args []string) (st *store.Store, id string, asJSON bool, done func(), err error) {
	fs := flags(name, e)
	idf := fs.String("id", "", "client_id")
	js := fs.Bool("json", false, "print JSON")
	st, done, err = openWith(e, fs, args, "id")
	return st, *idf, *js, done, err
}

func cmdAppShow(e env, args []string) error {
	st, id, asJSON, done, err := openApp(e, "app show", args)
	if err != nil {
		return err
	}
	defer done()
	a, err := st.GetApp(e.ctx, id)
	if err != nil {
		return fmt.Errorf("application %s: %w", id, err)
	}
	base, _ := linkBaseURL(e, st)
	return output(e, asJSON, appJSON(a), func(w io.Writer) { printApp(w, a, "", base) })
}

func cmdAppRotateSecret(e env, args []string) error {
	st, id, asJSON, done, err := openApp(e, "app rotate-secret", args)
	if err != nil {
		return err
	}
	defer done()
	secret, err := st.RotateAppSecret(e.ctx, supportActor(e), id)
	if err != nil {
		return fmt.Errorf("application %s: %w", id, err)
	}
	return output(e, asJSON, map[string]any{"clientId": id, "clientSecret": secret}, func(w io.Writer) {
		fmt.Fprintf(w, "client_secret:  %s\n                (shown once; the old secret no longer works)\n", secret)
	})
}

func cmdAppDelete(e env, args []string) error {
	st, id, asJSON, done, err := openApp(e, "app delete", args)
	if err != nil {
		return err
	}
	defer done()
	if err := st.DeleteApp(e.ctx, supportActor(e), id); err != nil {
		return fmt.Errorf("application %s: %w", id, err)
	}
	return output(e, asJSON, map[string]any{"clientId": id, "deleted": true}, func(w io.Writer) {
		fmt.Fprintf(w, "application %s deleted; every token it held is revoked\n", id)
	})
}
