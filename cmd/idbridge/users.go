package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/idbridge/idbridge/store"
)

func memberJSON(m store.Member) map[string]any {
	return map[string]any{"id": m.Account.ID, "email": m.Account.Email, "givenName": m.Account.GivenName,
		"familyName": m.Account.FamilyName, "orgId": m.Membership.OrgID, "userType": m.Membership.UserType,
		"subscription": m.Membership.Subscription, "reportsRole": m.Membership.ReportsRole, "status": m.Status()}
}

func accountJSON(a store.Account) map[string]any {
	return map[string]any{"id": a.ID, "email": a.Email, "givenName": a.GivenName, "familyName": a.FamilyName,
		"activatedAt": a.ActivatedAt, "failedAttempts": a.FailedAttempts, "lockedAt": a.LockedAt}
}

func cmdUserAdd(e env, args []string) error {
	fs := flags("user add", e)
	org := fs.String("org", "", "organization id")
	email := fs.String("email", "", "email address")
	given := fs.String("given", "", "given name")
	family := fs.String("family", "", "family name")
	userType := fs.String("type", "user", "user or system_admin")
	invite := fs.Bool("invite", false, "send an invitation (not in orgs with SSO enabled)")
	asJSON := fs.Bool("json", false, "print JSON")
	st, done, err := openWith(e, fs, args, "org", "email")
	if err != nil {
		return err
	}
	defer done()
	if *invite {
		if err := requireLinkBase(e, st); err != nil {
			return err
		}
	}
	m, err := st.CreateMember(e.ctx, supportActor(e), *org, store.NewMember{Email: *email, GivenName: *given, FamilyName: *family,
		UserType: store.UserType(*userType), Invite: *invite})
	if err != nil {
		return err
	}
	return output(e, *asJSON, memberJSON(m), func(w io.Writer) { fmt.Fprintf(w, "%s\t%s\t%s\n", m.Account.ID, m.Account.Email, m.Status()) })
}

// openAccount parses args, checks the required flags and that --id or
// --email names an account, opens the store and finds the account.
func openAccount(e env, fs *flag.FlagSet, args []string, id, email *string, required ...string) (*store.Store, func(), store.Account, error) {
	if err := parseArgs(fs, args, required...); err != nil {
		return nil, nil, store.Account{}, err
	}
	if *id == "" && *email == "" {
		return nil, nil, store.Account{}, usageError{"--id or --email is required"}
	}
	st, done, err := openStore(e)
	if err != nil {
		return nil, nil, store.Account{}, err
	}
	var a store.Account
	name := *id
	if name != "" {
		a, err = st.GetAccount(e.ctx, name)
	} else {
		name = *email
		a, err = st.AccountByEmail(e.ctx, name)
	}
	if err != nil {
		done()
		return nil, nil, a, fmt.Errorf("account %s: %w", name, err)
	}
	return st, done, a, nil
}

func cmdUserUnlock(e env, args []string) error {
	fs := flags("user unlock", e)
	id := fs.String("id", "", "account id")
	email := fs.String("email", "", "account email")
	asJSON := fs.Bool("json", false, "print JSON")
	st, done, a, err := openAccount(e, fs, args, id, email)
	if err != nil {
		return err
	}
	defer done()
	if a, err = st.UnlockAccount(e.ctx, supportActor(e), a.ID); err != nil {
		return err
	}
	return output(e, *asJSON, accountJSON(a), func(w io.Writer) { fmt.Fprintf(w, "unlocked %s (%s)\n", a.ID, a.Email) })
}

func cmdUserSetEmail(e env, args []string) error {
	fs := flags("user set-email", e)
	id := fs.String("id", "", "account id")
	email := fs.String("email", "", "current email")
	newEmail := fs.String("new-email", "", "new email")
	org := fs.String("org", "", "org whose sender the notice comes from (optional)")
	asJSON := fs.Bool("json", false, "print JSON")
	st, done, a, err := openAccount(e, fs, args, id, email, "new-email")
	if err != nil {
		return err
	}
	defer done()
	if a, err = st.ChangeEmail(e.ctx, supportActor(e), *org, a.ID, *newEmail); err != nil {
		return err
	}
	return output(e, *asJSON, accountJSON(a), func(w io.Writer) { fmt.Fprintf(w, "%s now signs in as %s\n", a.ID, a.Email) })
}
