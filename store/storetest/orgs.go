package storetest

import (
	"slices"
	"strconv"
	"strings"

	"github.com/idbridge/idbridge/store"
)

var orgTests = []test{
	{name: "company_crud", fn: testCompanyCRUD},
	{name: "org_crud", fn: testOrgCRUD},
	{name: "org_slug_unique", fn: testOrgSlugUnique},
	{name: "org_domain_unique_and_sign_in_lookup", fn: testOrgDomainUnique},
	{name: "org_update_settings", fn: testOrgUpdate},
}

func testCompanyCRUD(e *env) {
	c := must(e.s.CreateCompany(e.ctx, support, "  Acme "+rnd()+"  "))(e)
	if c.ID == "" || strings.TrimSpace(c.Name) != c.Name || !c.CreatedAt.Equal(e.clock.Now()) {
		e.Errorf("CreateCompany = %+v: want an id, a trimmed name and the clock's time", c)
	}
	e.same("GetCompany", must(e.s.GetCompany(e.ctx, c.ID))(e), c)
	all := must(e.s.ListCompanies(e.ctx))(e)
	if !slices.ContainsFunc(all, func(x store.Company) bool { return x.ID == c.ID }) {
		e.Errorf("ListCompanies does not list %s", c.ID)
	}
	_, err := e.s.GetCompany(e.ctx, "0190f3a2-0000-7000-8000-000000000000")
	e.wantNotFound(err, "GetCompany(unknown id)")
	_, err = e.s.GetCompany(e.ctx, "not-a-uuid")
	e.wantNotFound(err, "GetCompany(malformed id)")
	_, err = e.s.CreateCompany(e.ctx, support, "   ")
	e.wantInvalid(err, "CreateCompany(blank name)")
	// Another company's admin is not support.
	other := e.tenant()
	_, err = e.s.CreateCompany(e.ctx, other.Actor, "Sneaky "+rnd())
	e.wantIs(err, store.ErrForbidden, "CreateCompany by an org admin")
	audit := e.auditWhere(func(a store.AuditEntry) bool { return a.TargetID == c.ID })
	if len(audit) != 1 || audit[0].Action != "company.create" || audit[0].Actor.Kind != store.ActorSupport {
		e.Errorf("audit of the company = %+v, want one company.create by support", audit)
	}
}

func testOrgCRUD(e *env) {
	c := e.company()
	r := rnd()
	o := must(e.s.CreateOrg(e.ctx, support, store.NewOrg{CompanyID: c.ID, Name: "Hotel Bella Vista " + r,
		Domains: []string{"Bella-" + r + ".Example.com.", "bella-" + r + ".example.com", "bv-" + r + ".example.it"}}))(e)
	if want := "hotel-bella-vista-" + r; o.Slug != want {
		e.Errorf("default slug = %q, want %q", o.Slug, want)
	}
	if want := []string{"bella-" + r + ".example.com", "bv-" + r + ".example.it"}; !slices.Equal(o.Domains, want) {
		e.Errorf("domains = %q, want %q (normalized, deduplicated)", o.Domains, want)
	}
	if o.CompanyID != c.ID || o.SSOEnabled || o.ID == "" {
		e.Errorf("CreateOrg = %+v", o)
	}
	got := must(e.s.GetOrg(e.ctx, o.ID))(e)
	slices.Sort(got.Domains)
	e.same("GetOrg", got, o)
	second := e.org(c.ID)
	other := e.tenant()
	list := must(e.s.ListOrgs(e.ctx, c.ID))(e)
	if len(list) != 2 || !slices.ContainsFunc(list, func(x store.Org) bool { return x.ID == o.ID }) ||
		!slices.ContainsFunc(list, func(x store.Org) bool { return x.ID == second.ID }) {
		e.Errorf("ListOrgs(company) = %d orgs, want exactly %s and %s", len(list), o.ID, second.ID)
	}
	if !slices.IsSortedFunc(list, func(a, b store.Org) int { return strings.Compare(a.Name, b.Name) }) {
		e.Errorf("ListOrgs is not ordered by name")
	}
	all := must(e.s.ListOrgs(e.ctx, ""))(e)
	if !slices.ContainsFunc(all, func(x store.Org) bool { return x.ID == other.ID }) {
		e.Errorf("ListOrgs(\"\") does not list another company's org")
	}
	_, err := e.s.GetOrg(e.ctx, "0190f3a2-0000-7000-8000-000000000000")
	e.wantNotFound(err, "GetOrg(unknown)")
	_, err = e.s.GetOrg(e.ctx, "x")
	e.wantNotFound(err, "GetOrg(malformed)")
	_, err = e.s.CreateOrg(e.ctx, support, store.NewOrg{CompanyID: "0190f3a2-0000-7000-8000-000000000000", Name: "Orphan " + rnd()})
	e.wantNotFound(err, "CreateOrg(unknown company)")
	_, err = e.s.CreateOrg(e.ctx, other.Actor, store.NewOrg{CompanyID: other.CompanyID, Name: "Mine " + rnd()})
	e.wantIs(err, store.ErrForbidden, "CreateOrg by an org admin")
	for _, bad := range []store.NewOrg{
		{CompanyID: c.ID, Name: ""},
		{CompanyID: c.ID, Name: "Bad slug", Slug: "Bad_Slug"},
		{CompanyID: c.ID, Name: "Bad domain " + rnd(), Domains: []string{"not a domain"}},
	} {
		_, err = e.s.CreateOrg(e.ctx, support, bad)
		e.wantInvalid(err, "CreateOrg("+bad.Name+")")
	}
	if n := len(must(e.s.ListOrgs(e.ctx, c.ID))(e)); n != 2 {
		e.Errorf("refused CreateOrg calls left %d orgs in the company, want 2", n)
	}
	if a := e.auditOf(o.ID); len(a) != 1 || a[0].Action != "org.create" {
		e.Errorf("audit of a new org = %+v, want one org.create", a)
	}
}

func testOrgSlugUnique(e *env) {
	tn := e.tenant()
	otherCompany := e.company()
	for _, companyID := range []string{tn.CompanyID, otherCompany.ID} {
		_, err := e.s.CreateOrg(e.ctx, support, store.NewOrg{CompanyID: companyID, Name: "Copy " + rnd(), Slug: tn.Slug})
		e.wantConflict(err, "slug", "CreateOrg with a taken slug")
	}
	if n := len(must(e.s.ListOrgs(e.ctx, otherCompany.ID))(e)); n != 0 {
		e.Errorf("a refused slug left %d orgs in the other company", n)
	}
	// A free slug is fine in either company.
	e.org(otherCompany.ID)
}

func testOrgDomainUnique(e *env) {
	tn := e.tenant()
	other := e.tenant()
	d := tn.Domains[0]
	_, err := e.s.CreateOrg(e.ctx, support, store.NewOrg{CompanyID: other.CompanyID, Name: "Thief " + rnd(), Domains: []string{strings.ToUpper(d)}})
	e.wantConflict(err, "domain", "CreateOrg with another org's domain, upper-cased")
	before := e.snap([]string{other.ID})
	_, err = e.s.UpdateOrg(e.ctx, support, other.ID, store.OrgSettings{Domains: &[]string{other.Domains[0], d}})
	e.wantConflict(err, "domain", "UpdateOrg adding another org's domain")
	e.unchanged(before, "UpdateOrg with a taken domain")
	for _, in := range []string{d, strings.ToUpper(d), "someone@" + d, " Someone@" + strings.ToUpper(d) + " "} {
		got, err := e.s.OrgForSignIn(e.ctx, in)
		if err != nil || got.ID != tn.ID {
			e.Errorf("OrgForSignIn(%q) = %s, %v; want %s", in, got.ID, err, tn.ID)
		}
	}
	if got := must(e.s.OrgForSignIn(e.ctx, other.Domains[0]))(e); got.ID != other.ID {
		e.Errorf("OrgForSignIn(other's domain) = %s, want %s", got.ID, other.ID)
	}
	_, err = e.s.OrgForSignIn(e.ctx, "nobody-"+rnd()+".example.com")
	e.wantNotFound(err, "OrgForSignIn(unknown domain)")
	_, err = e.s.OrgForSignIn(e.ctx, "not a domain")
	e.wantInvalid(err, "OrgForSignIn(garbage)")
}

func testOrgUpdate(e *env) {
	tn := e.tenant()
	other := e.tenant()
	name, sender, senderName := "Renamed "+rnd(), "HR@"+strings.ToUpper(tn.Domains[0]), "Acme HR"
	o := must(e.s.UpdateOrg(e.ctx, tn.Actor, tn.ID, store.OrgSettings{Name: &name, SenderEmail: &sender, SenderName: &senderName}))(e)
	if o.Name != name || o.SenderEmail != "HR@"+tn.Domains[0] || o.SenderName != senderName {
		e.Errorf("UpdateOrg = %+v", o)
	}
	e.same("GetOrg after UpdateOrg", must(e.s.GetOrg(e.ctx, tn.ID))(e), o)
	if a := e.auditOf(tn.ID)[0]; a.Action != "org.update" || a.Actor.AccountID != tn.Admin.Account.ID || len(a.Before) == 0 || len(a.After) == 0 {
		e.Errorf("newest audit entry = %+v, want org.update by the admin with before and after", a)
	}

	user := e.member(tn.ID)
	before := e.snap([]string{tn.ID, other.ID})
	_, err := e.s.UpdateOrg(e.ctx, tn.Actor, tn.ID, store.OrgSettings{Domains: &[]string{"mine-" + rnd() + ".example.com"}})
	e.wantIs(err, store.ErrForbidden, "admin changing domains")
	bad := "not an email"
	_, err = e.s.UpdateOrg(e.ctx, tn.Actor, tn.ID, store.OrgSettings{SenderEmail: &bad})
	e.wantRule(err, store.RuleEmailSyntax, "sender email")
	for _, bad := range []string{"Acme\r\nBcc: eve@evil.example", "tab\there", strings.Repeat("x", store.MaxSenderName+1)} {
		_, err = e.s.UpdateOrg(e.ctx, tn.Actor, tn.ID, store.OrgSettings{SenderName: &bad})
		e.wantInvalid(err, "sender name "+strconv.Quote(bad))
	}
	_, err = e.s.UpdateOrg(e.ctx, other.Actor, tn.ID, store.OrgSettings{Name: &bad})
	e.wantNotFound(err, "another org's admin")
	_, err = e.s.UpdateOrg(e.ctx, tn.Actor, other.ID, store.OrgSettings{Name: &bad})
	e.wantNotFound(err, "admin updating another org")
	_, err = e.s.UpdateOrg(e.ctx, store.AdminActor(tn.ID, user.Account.ID), tn.ID, store.OrgSettings{Name: &bad})
	e.wantIs(err, store.ErrForbidden, "a plain user")
	e.unchanged(before, "refused UpdateOrg calls")

	domains := []string{"new-" + rnd() + ".example.com"}
	o = must(e.s.UpdateOrg(e.ctx, support, tn.ID, store.OrgSettings{Domains: &domains}))(e)
	if !slices.Equal(o.Domains, domains) {
		e.Errorf("domains after support's change = %q, want %q", o.Domains, domains)
	}
	_, err = e.s.OrgForSignIn(e.ctx, tn.Domains[0])
	e.wantNotFound(err, "the org's old domain")
	_, err = e.s.UpdateOrg(e.ctx, support, "0190f3a2-0000-7000-8000-000000000000", store.OrgSettings{Name: &name})
	e.wantNotFound(err, "UpdateOrg(unknown org)")
}
