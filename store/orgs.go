package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// CreateCompany creates a company (support only).
func (s *Store) CreateCompany(ctx context.Context, actor Actor, name string) (Company, error) {
	if err := requireSupport(actor); err != nil {
		return Company{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return Company{}, invalid("name", "a company name of 1 to 200 characters is required")
	}
	var c Company
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		c = Company{ID: newID(), Name: name, CreatedAt: now}
		if err := tx.InsertCompany(ctx, c); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "", "company.create", "company", c.ID, nil, c)
	})
	return c, err
}

// GetCompany returns one company.
func (s *Store) GetCompany(ctx context.Context, id string) (c Company, err error) {
	err = s.read(ctx, func(tx Tx) error { c, err = tx.GetCompany(ctx, id); return err })
	return c, err
}

// ListCompanies lists every company.
func (s *Store) ListCompanies(ctx context.Context) (cs []Company, err error) {
	err = s.read(ctx, func(tx Tx) error { cs, err = tx.ListCompanies(ctx); return err })
	return cs, err
}

// NewOrg is the input of CreateOrg.
type NewOrg struct {
	CompanyID string
	Name      string
	// Slug defaults to a slug of Name.
	Slug    string
	Domains []string
}

var (
	slugRe   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	domainRe = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// NormalizeDomain lower-cases and checks a sign-in domain.
func NormalizeDomain(d string) (string, error) {
	d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
	if len(d) > 253 || !domainRe.MatchString(d) {
		return "", invalid("domain", "%q is not a domain name like example.com", d)
	}
	return d, nil
}

// Slugify makes a slug from a name.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimRight(b.String(), "-")
	if len(out) > 63 {
		out = strings.TrimRight(out[:63], "-")
	}
	return out
}

// CreateOrg creates an organization of a company with its verified domains (support only).
func (s *Store) CreateOrg(ctx context.Context, actor Actor, in NewOrg) (Org, error) {
	if err := requireSupport(actor); err != nil {
		return Org{}, err
	}
	o := Org{CompanyID: in.CompanyID, Name: strings.TrimSpace(in.Name), Slug: in.Slug}
	if o.Name == "" || len(o.Name) > 200 {
		return Org{}, invalid("name", "an organization name of 1 to 200 characters is required")
	}
	if o.Slug == "" {
		o.Slug = Slugify(o.Name)
	}
	if !slugRe.MatchString(o.Slug) {
		return Org{}, invalid("slug", "%q must be lower-case letters, digits and dashes", o.Slug)
	}
	seen := map[string]bool{}
	for _, d := range in.Domains {
		nd, err := NormalizeDomain(d)
		if err != nil {
			return Org{}, err
		}
		if !seen[nd] {
			seen[nd] = true
			o.Domains = append(o.Domains, nd)
		}
	}
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		if _, err := tx.GetCompany(ctx, o.CompanyID); err != nil {
			return fmt.Errorf("company: %w", err)
		}
		o.ID, o.CreatedAt, o.UpdatedAt = newID(), now, now
		if err := tx.InsertOrg(ctx, o); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, o.ID, "org.create", "org", o.ID, nil, o)
	})
	return o, err
}

// GetOrg returns one org.
func (s *Store) GetOrg(ctx context.Context, id string) (o Org, err error) {
	err = s.read(ctx, func(tx Tx) error { o, err = tx.GetOrg(ctx, id, LockNone); return err })
	return o, err
}

// ListOrgs lists orgs, of one company or ("") all.
func (s *Store) ListOrgs(ctx context.Context, companyID string) (os []Org, err error) {
	err = s.read(ctx, func(tx Tx) error { os, err = tx.ListOrgs(ctx, companyID); return err })
	return os, err
}

// OrgForSignIn finds the org a person means by a company domain or an email address.
func (s *Store) OrgForSignIn(ctx context.Context, domainOrEmail string) (o Org, err error) {
	in := strings.TrimSpace(domainOrEmail)
	if i := strings.LastIndexByte(in, '@'); i >= 0 {
		in = in[i+1:]
	}
	d, err := NormalizeDomain(in)
	if err != nil {
		return Org{}, err
	}
	err = s.read(ctx, func(tx Tx) error { o, err = tx.OrgByDomain(ctx, d); return err })
	return o, err
}

// OrgSettings is a change of an org's name, domains or custom sender; nil fields stay.
type OrgSettings struct {
	Name        *string
	Domains     *[]string
	SenderName  *string
	SenderEmail *string
}

// UpdateOrg changes an org's settings. Domains can be changed by support only.
func (s *Store) UpdateOrg(ctx context.Context, actor Actor, orgID string, in OrgSettings) (Org, error) {
	var o Org
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		if err := authorize(ctx, tx, actor, orgID); err != nil {
			return err
		}
		before, err := tx.GetOrg(ctx, orgID, LockUpdate)
		if err != nil {
			return err
		}
		o = before
		if in.Name != nil {
			if o.Name = strings.TrimSpace(*in.Name); o.Name == "" || len(o.Name) > 200 {
				return invalid("name", "an organization name of 1 to 200 characters is required")
			}
		}
		if in.Domains != nil {
			if err := requireSupport(actor); err != nil {
				return err
			}
			o.Domains = nil
			for _, d := range *in.Domains {
				nd, err := NormalizeDomain(d)
				if err != nil {
					return err
				}
				o.Domains = append(o.Domains, nd)
			}
		}
		if in.SenderName != nil {
			if o.SenderName, err = checkSenderName(*in.SenderName); err != nil {
				return err
			}
		}
		if in.SenderEmail != nil {
			o.SenderEmail = ""
			if e := strings.TrimSpace(*in.SenderEmail); e != "" {
				if o.SenderEmail, err = NormalizeEmail(e); err != nil {
					return err
				}
			}
		}
		o.UpdatedAt = now
		if err := tx.UpdateOrg(ctx, o); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, orgID, "org.update", "org", orgID, before, o)
	})
	return o, err
}

// MaxSenderName is the longest custom sender name.
const MaxSenderName = 100

// checkSenderName trims a custom sender's display name: at most
// MaxSenderName characters, no control characters (it goes into a From header).
func checkSenderName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > MaxSenderName || !utf8.ValidString(name) {
		return "", invalid("senderName", "the sender name is at most %d characters", MaxSenderName)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", invalid("senderName", "the sender name is one line of text, without control characters")
		}
	}
	return name, nil
}

// EnableSSO turns SSO on for an org through one of its connections (rule 12).
// It locks the org row, so it serializes with email changes of its members (rule 1).
func (s *Store) EnableSSO(ctx context.Context, actor Actor, orgID, connectionID string) (Org, error) {
	return s.setSSO(ctx, actor, orgID, connectionID, true)
}

// DisableSSO turns SSO off: members sign in with their password or "forgot password" (rule 11).
func (s *Store) DisableSSO(ctx context.Context, actor Actor, orgID string) (Org, error) {
	return s.setSSO(ctx, actor, orgID, "", false)
}

func (s *Store) setSSO(ctx context.Context, actor Actor, orgID, connectionID string, on bool) (Org, error) {
	var o Org
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		if err := authorize(ctx, tx, actor, orgID); err != nil {
			return err
		}
		if actor.Kind == ActorSCIM {
			return fmt.Errorf("%w: a SCIM token cannot change SSO", ErrForbidden)
		}
		before, err := tx.GetOrg(ctx, orgID, LockUpdate)
		if err != nil {
			return err
		}
		o = before
		if on {
			c, err := tx.GetConnection(ctx, orgID, connectionID, LockShare)
			if err != nil {
				return fmt.Errorf("connection: %w", err)
			}
			if err := CanEnableSSO(o, c); err != nil {
				return err
			}
			o.SSOEnabled, o.SSOConnectionID = true, c.ID
		} else {
			o.SSOEnabled, o.SSOConnectionID = false, ""
		}
		o.UpdatedAt = now
		if err := tx.UpdateOrg(ctx, o); err != nil {
			return err
		}
		// The members signed in to apps another way: their tokens go.
		if o.SSOEnabled != before.SSOEnabled || o.SSOConnectionID != before.SSOConnectionID {
			if _, err := tx.DeleteGrantsOfOrg(ctx, orgID); err != nil {
				return err
			}
		}
		action := "org.sso_disable"
		if on {
			action = "org.sso_enable"
		}
		return audit(ctx, tx, now, actor, orgID, action, "org", orgID, ssoView(before), ssoView(o))
	})
	return o, err
}

func ssoView(o Org) map[string]any {
	return map[string]any{"ssoEnabled": o.SSOEnabled, "ssoConnectionId": o.SSOConnectionID}
}

// isNotFound is errors.Is(err, ErrNotFound).
func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
