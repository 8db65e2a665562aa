package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/idbridge/idbridge/store"
)

// The operator subcommands of platform support. Each prints JSON with --json
// and fails with a one-line reason and a non-zero exit.

func cmdCompanyCreate(e env, args []string) error {
	fs := flags("company create", e)
	name := fs.String("name", "", "company name")
	asJSON := fs.Bool("json", false, "print JSON")
	st, done, err := openWith(e, fs, args, "name")
	if err != nil {
		return err
	}
	defer done()
	c, err := st.CreateCompany(e.ctx, supportActor(e), *name)
	if err != nil {
		return err
	}
	return output(e, *asJSON, companyJSON(c), func(w io.Writer) { fmt.Fprintln(w, c.ID) })
}

func companyJSON(c store.Company) map[string]any {
	return map[string]any{"id": c.ID, "name": c.Name, "createdAt": c.CreatedAt}
}

func cmdCompanyList(e env, args []string) error {
	fs := flags("company list", e)
	asJSON := fs.Bool("json", false, "print JSON")
	st, done, err := openWith(e, fs, args)
	if err != nil {
		return err
	}
	defer done()
	cs, err := st.ListCompanies(e.ctx)
	if err != nil {
		return err
	}
	return printList(e, *asJSON, cs, companyJSON, "ID\tNAME", func(c store.Company) string {
		return fmt.Sprintf("%s\t%s", c.ID, c.Name)
	})
}

func cmdOrgCreate(e env, args []string) error {
	fs := flags("org create", e)
	company := fs.String("company", "", "company id")
	name := fs.String("name", "", "organization name")
	slug := fs.String("slug", "", "slug (default: from the name)")
	var domains multi
	fs.Var(&domains, "domain", "verified sign-in domain (repeatable)")
	asJSON := fs.Bool("json", false, "print JSON")
	st, done, err := openWith(e, fs, args, "company", "name")
	if err != nil {
		return err
	}
	defer done()
	o, err := st.CreateOrg(e.ctx, supportActor(e), store.NewOrg{CompanyID: *company, Name: *name, Slug: *slug, Domains: domains})
	if err != nil {
		return err
	}
	return output(e, *asJSON, orgJSON(o), func(w io.Writer) { fmt.Fprintln(w, o.ID) })
}

func orgJSON(o store.Org) map[string]any {
	domains := o.Domains
	if domains == nil {
		domains = []string{}
	}
	return map[string]any{"id": o.ID, "companyId": o.CompanyID, "name": o.Name, "slug": o.Slug, "domains": domains,
		"ssoEnabled": o.SSOEnabled, "ssoConnectionId": o.SSOConnectionID, "createdAt": o.CreatedAt}
}

func cmdOrgList(e env, args []string) error {
	fs := flags("org list", e)
	company := fs.String("company", "", "only this company's orgs")
	asJSON := fs.Bool("json", false, "print JSON")
	st, done, err := openWith(e, fs, args)
	if err != nil {
		return err
	}
	defer done()
	os, err := st.ListOrgs(e.ctx, *company)
	if err != nil {
		return err
	}
	return printList(e, *asJSON, os, orgJSON, "ID\tNAME\tSLUG\tDOMAINS\tSSO", func(o store.Org) string {
		return fmt.Sprintf("%s\t%s\t%s\t%s\t%v", o.ID, o.Name, o.Slug, strings.Join(o.Domains, ","), o.SSOEnabled)
	})
}

func cmdTokenCreate(e env, args []string) error {
	fs := flags("scim-token create", e)
	org := fs.String("org", "", "organization id")
	name := fs.String("name", "", "token name shown in the audit log (default: scim-<date>)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseArgs(fs, args, "org"); err != nil {
		return err
	}
	if *name == "" {
		*name = "scim-" + time.Now().UTC().Format("2006-01-02")
	}
	st, done, err := openStore(e)
	if err != nil {
		return err
	}
	defer done()
	secret, t, err := st.CreateSCIMToken(e.ctx, supportActor(e), *org, *name)
	if err != nil {
		return err
	}
	v := tokenJSON(t)
	v["token"] = secret
	return output(e, *asJSON, v, func(w io.Writer) { fmt.Fprintln(w, secret) })
}

func tokenJSON(t store.SCIMToken) map[string]any {
	return map[string]any{"id": t.ID, "orgId": t.OrgID, "name": t.Name, "createdAt": t.CreatedAt, "lastUsedAt": t.LastUsedAt, "revokedAt": t.RevokedAt}
}

func cmdTokenList(e env, args []string) error {
	fs := flags("scim-token list", e)
	org := fs.String("org", "", "organization id")
	asJSON := fs.Bool("json", false, "print JSON")
	st, done, err := openWith(e, fs, args, "org")
	if err != nil {
		return err
	}
	defer done()
	if _, err := st.GetOrg(e.ctx, *org); err != nil {
		return fmt.Errorf("organization %s: %w", *org, err)
	}
	ts, err := st.ListSCIMTokens(e.ctx, *org)
	if err != nil {
		return err
	}
	return printList(e, *asJSON, ts, tokenJSON, "ID\tNAME\tCREATED\tLAST USED\tREVOKED", func(t store.SCIMToken) string {
		return fmt.Sprintf("%s\t%s\t%s\t%s\t%s", t.ID, t.Name, t.CreatedAt.Format(time.RFC3339), fmtTime(t.LastUsedAt), fmtTime(t.RevokedAt))
	})
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func cmdTokenRevoke(e env, args []string) error {
	fs := flags("scim-token revoke", e)
	org := fs.String("org", "", "organization id")
	id := fs.String("id", "", "token id")
	asJSON := fs.Bool("json", false, "print JSON")
	st, done, err := openWith(e, fs, args, "org", "id")
	if err != nil {
		return err
	}
	defer done()
	t, err := st.RevokeSCIMToken(e.ctx, supportActor(e), *org, *id)
	if err != nil {
		return fmt.Errorf("token %s: %w", *id, err)
	}
	return output(e, *asJSON, tokenJSON(t), func(w io.Writer) { fmt.Fprintf(w, "revoked %s (%s)\n", t.ID, t.Name) })
}
