package sqlstore

import (
	"context"
	"encoding/json"

	"github.com/idbridge/idbridge/store"
)

// InsertCompany inserts a company.
func (t *Tx) InsertCompany(ctx context.Context, c store.Company) error {
	if err := ids(&c.ID); err != nil {
		return err
	}
	_, err := t.exec(ctx, "insert company", `INSERT INTO companies (id, name, created_at) VALUES ($1, $2, $3)`,
		c.ID, c.Name, t.time(c.CreatedAt))
	return err
}

const companyCols = `id, name, created_at`

func scanCompany(r Row) (c store.Company, err error) {
	err = r.Scan(textScan{&c.ID}, &c.Name, timeScan{&c.CreatedAt})
	return c, err
}

// GetCompany returns one company.
func (t *Tx) GetCompany(ctx context.Context, companyID string) (store.Company, error) {
	if err := ids(&companyID); err != nil {
		return store.Company{}, err
	}
	c, err := scanCompany(t.c.QueryRow(ctx, `SELECT `+companyCols+` FROM companies WHERE id = $1`, companyID))
	return c, t.err("get company", err)
}

// ListCompanies lists every company by name.
func (t *Tx) ListCompanies(ctx context.Context) ([]store.Company, error) {
	var out []store.Company
	err := t.queryAll(ctx, "list companies", `SELECT `+companyCols+` FROM companies ORDER BY name, id`, nil, func(r Rows) error {
		c, err := scanCompany(r)
		out = append(out, c)
		return err
	})
	return out, err
}

// InsertOrg inserts an org and its domains.
func (t *Tx) InsertOrg(ctx context.Context, o store.Org) error {
	if err := ids(&o.ID, &o.CompanyID); err != nil {
		return err
	}
	sso, err := optID(o.SSOConnectionID)
	if err != nil {
		return err
	}
	if _, err := t.exec(ctx, "insert org", `INSERT INTO orgs (id, company_id, name, slug, sso_enabled, sso_connection_id,
		sender_name, sender_email, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		o.ID, o.CompanyID, o.Name, o.Slug, o.SSOEnabled, sso, o.SenderName, o.SenderEmail,
		t.time(o.CreatedAt), t.time(o.UpdatedAt)); err != nil {
		return err
	}
	return t.insertDomains(ctx, o.ID, o.Domains)
}

func (t *Tx) insertDomains(ctx context.Context, orgID string, domains []string) error {
	for _, d := range domains {
		if _, err := t.exec(ctx, "insert domain", `INSERT INTO org_domains (domain, org_id) VALUES ($1, $2)`, d, orgID); err != nil {
			return err
		}
	}
	return nil
}

// orgCols selects an org of alias o and, in the same statement, its domains
// (a JSON array, ordered); scanOrg reads them.
func (t *Tx) orgCols() string {
	return `o.id, o.company_id, o.name, o.slug, o.sso_enabled, o.sso_connection_id, o.sender_name, o.sender_email,
		o.created_at, o.updated_at, (SELECT ` + t.d.JSONArrayAgg("od.domain") + ` FROM org_domains od WHERE od.org_id = o.id)`
}

func scanOrg(r Row) (o store.Org, err error) {
	var domains string
	if err = r.Scan(textScan{&o.ID}, textScan{&o.CompanyID}, &o.Name, &o.Slug, &o.SSOEnabled, textScan{&o.SSOConnectionID},
		&o.SenderName, &o.SenderEmail, timeScan{&o.CreatedAt}, timeScan{&o.UpdatedAt}, textScan{&domains}); err != nil {
		return o, err
	}
	if domains != "" {
		if err = json.Unmarshal([]byte(domains), &o.Domains); err != nil {
			return o, err
		}
	}
	if len(o.Domains) == 0 {
		o.Domains = nil
	}
	return o, nil
}

// GetOrg returns one org with its domains, in one statement.
func (t *Tx) GetOrg(ctx context.Context, orgID string, lock store.Lock) (store.Org, error) {
	if err := ids(&orgID); err != nil {
		return store.Org{}, err
	}
	o, err := scanOrg(t.c.QueryRow(ctx, `SELECT `+t.orgCols()+` FROM orgs o WHERE o.id = $1`+t.lock(lock, ""), orgID))
	if err != nil {
		return store.Org{}, t.err("get org", err)
	}
	return o, nil
}

// queryOrgs runs a query selecting t.orgCols(), domains included.
func (t *Tx) queryOrgs(ctx context.Context, op, q string, a args) ([]store.Org, error) {
	var out []store.Org
	err := t.queryAll(ctx, op, q, a, func(r Rows) error {
		o, err := scanOrg(r)
		out = append(out, o)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateOrg writes every field of o and replaces its domains.
func (t *Tx) UpdateOrg(ctx context.Context, o store.Org) error {
	if err := ids(&o.ID); err != nil {
		return err
	}
	sso, err := optID(o.SSOConnectionID)
	if err != nil {
		return err
	}
	if err := t.execOne(ctx, "update org", `UPDATE orgs SET name = $2, slug = $3, sso_enabled = $4, sso_connection_id = $5,
		sender_name = $6, sender_email = $7, updated_at = $8 WHERE id = $1`,
		o.ID, o.Name, o.Slug, o.SSOEnabled, sso, o.SenderName, o.SenderEmail, t.time(o.UpdatedAt)); err != nil {
		return err
	}
	if _, err := t.exec(ctx, "update org", `DELETE FROM org_domains WHERE org_id = $1`, o.ID); err != nil {
		return err
	}
	return t.insertDomains(ctx, o.ID, o.Domains)
}

// ListOrgs lists orgs by name, of one company or ("") all.
func (t *Tx) ListOrgs(ctx context.Context, companyID string) ([]store.Org, error) {
	var a args
	q := `SELECT ` + t.orgCols() + ` FROM orgs o`
	if companyID != "" {
		if err := ids(&companyID); err != nil {
			return nil, err
		}
		q += ` WHERE o.company_id = ` + a.add(companyID)
	}
	return t.queryOrgs(ctx, "list orgs", q+` ORDER BY o.name, o.id`, a)
}

// OrgByDomain finds the org owning a domain.
func (t *Tx) OrgByDomain(ctx context.Context, domain string) (store.Org, error) {
	orgs, err := t.queryOrgs(ctx, "org by domain", `SELECT `+t.orgCols()+` FROM orgs o
		JOIN org_domains d ON d.org_id = o.id WHERE d.domain = $1`, args{domain})
	if err != nil {
		return store.Org{}, err
	}
	if len(orgs) == 0 {
		return store.Org{}, store.ErrNotFound
	}
	return orgs[0], nil
}

// AccountOrgs returns the orgs an account is a member of, by id, locked as asked.
func (t *Tx) AccountOrgs(ctx context.Context, accountID string, lock store.Lock) ([]store.Org, error) {
	if err := ids(&accountID); err != nil {
		return nil, err
	}
	return t.queryOrgs(ctx, "account orgs", `SELECT `+t.orgCols()+` FROM orgs o
		JOIN memberships m ON m.org_id = o.id WHERE m.account_id = $1 ORDER BY o.id`+t.lock(lock, "o"), args{accountID})
}
