package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/idbridge/idbridge/store"
)

// wantIs fails unless errors.Is(err, target).
func (e *env) wantIs(err, target error, what string) {
	e.Helper()
	if !errors.Is(err, target) {
		e.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

// wantNotFound fails unless err is ErrNotFound: another org's ids answer that, never data.
func (e *env) wantNotFound(err error, what string) {
	e.Helper()
	e.wantIs(err, store.ErrNotFound, what)
}

// wantRule fails unless err is a *RuleError of the rule.
func (e *env) wantRule(err error, rule store.Rule, what string) {
	e.Helper()
	var re *store.RuleError
	switch {
	case !errors.As(err, &re):
		e.Errorf("%s: got error %v, want a refusal by rule %d", what, err, rule)
	case re.Rule != rule:
		e.Errorf("%s: refused by rule %d (%s), want rule %d", what, re.Rule, re.Detail, rule)
	case re.Detail == "":
		e.Errorf("%s: rule %d refusal without a detail", what, rule)
	case !errors.Is(err, store.ErrRule):
		e.Errorf("%s: %v does not wrap ErrRule", what, err)
	}
}

// wantConflict fails unless err is a *ConflictError on field ("" = any field).
func (e *env) wantConflict(err error, field, what string) {
	e.Helper()
	var ce *store.ConflictError
	switch {
	case !errors.As(err, &ce):
		e.Errorf("%s: got error %v, want a *ConflictError on %q", what, err, field)
	case field != "" && ce.Field != field:
		e.Errorf("%s: conflict on %q, want %q", what, ce.Field, field)
	case !errors.Is(err, store.ErrConflict):
		e.Errorf("%s: %v does not wrap ErrConflict", what, err)
	}
}

// wantInvalid fails unless err is an *InvalidError.
func (e *env) wantInvalid(err error, what string) {
	e.Helper()
	var ie *store.InvalidError
	if !errors.As(err, &ie) || !errors.Is(err, store.ErrInvalid) {
		e.Errorf("%s: got error %v, want an *InvalidError", what, err)
	}
}

// jsonOf is a comparable rendering of a row: times as text, pointers followed.
func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return string(b)
}

// same fails unless got and want render to the same JSON.
func (e *env) same(what string, got, want any) {
	e.Helper()
	if g, w := jsonOf(got), jsonOf(want); g != w {
		e.Errorf("%s:\n got  %s\n want %s", what, g, w)
	}
}

// snapshot is what a refused call must leave as it was: the orgs, the
// accounts and their memberships in those orgs, the audit entries about them
// and the mail to them.
type snapshot struct {
	orgs, accounts []string
	rows           map[string]string
	audit          int
	mail           int
}

// snap records the state of orgs and accounts before a call that must be refused.
func (e *env) snap(orgs []string, accounts ...string) snapshot {
	e.Helper()
	s := snapshot{orgs: orgs, accounts: accounts, rows: map[string]string{}}
	for _, o := range orgs {
		org, err := e.s.GetOrg(e.ctx, o)
		s.rows["org "+o] = rowOrErr(org, err)
		conns, err := e.s.ListConnections(e.ctx, o)
		s.rows["connections "+o] = rowOrErr(conns, err)
		tokens, err := e.s.ListSCIMTokens(e.ctx, o)
		s.rows["scim tokens "+o] = rowOrErr(tokens, err)
	}
	for _, a := range accounts {
		acc, accErr := e.s.GetAccount(e.ctx, a)
		s.rows["account "+a] = rowOrErr(acc, accErr)
		aorgs, err := e.s.AccountOrgs(e.ctx, a)
		s.rows["orgs of "+a] = rowOrErr(aorgs, err)
		for _, o := range orgs {
			d, err := e.s.GetMemberDetails(e.ctx, o, a)
			s.rows["member "+o+"/"+a] = rowOrErr(d, err)
		}
		if accErr == nil {
			s.mail += len(e.mails(acc.Email))
		}
	}
	s.audit = len(e.auditWhere(func(a store.AuditEntry) bool {
		return slices.Contains(orgs, a.OrgID) || slices.Contains(orgs, a.TargetID) || slices.Contains(accounts, a.TargetID)
	}))
	return s
}

func rowOrErr(v any, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return jsonOf(v)
}

// unchanged fails unless the state recorded by snap is still there, with no
// audit entry and no mail added.
func (e *env) unchanged(before snapshot, what string) {
	e.Helper()
	after := e.snap(before.orgs, before.accounts...)
	for k, b := range before.rows {
		if a := after.rows[k]; a != b {
			e.Errorf("%s changed %s:\n before %s\n after  %s", what, k, b, a)
		}
	}
	if after.audit != before.audit {
		e.Errorf("%s wrote %d audit entries, want none", what, after.audit-before.audit)
	}
	if after.mail != before.mail {
		e.Errorf("%s queued %d emails, want none", what, after.mail-before.mail)
	}
}
