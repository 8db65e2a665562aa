package main

import (
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
	m, err := st.CreateMember(e.ctx, supportActor(e), *org, store.NewMember{Email: *email, GivenName: *given, FamilyName: *family,
		UserType: store.UserType(*userType), Invite: *invite})
	if err != nil {
		return err
	}
	return output(e, *asJSON, memberJSON(m), func(w io.Writer) { fmt.Fprintf(w, "%s\t%s\t%s\n", m.Account.ID, m.Account.Email, m.Status()) })
}

// findAccount resolves --id or --email.
func findAccount(e env, st *store.Store, id, email string) (store.Account, error) {
	switch {
	case id != "":
		a, err := st.GetAccount(e.ctx, id)
		if err != nil {
			return a, fmt.Errorf("account %s: %w", id, err)
		}
		return a, nil
	case email != "":
		a, err := st.AccountByEmail(e.ctx, email)
		if err != nil {
			return a, fmt.Errorf("account %s: %w", email, err)
		}
		return a, nil
	}
	return store.Account{}, usageError{"--id or --email is required"}
}

func cmdUserUnlock(e env, args []string) error {
	fs := flags("user unlock", e)
	id := fs.String("id", "", "account id")
	email := fs.String("email", "", "account email")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" && *email == "" {
		return usageError{"--id or --email is required"}
	}
	st, done, err := openStore(e)
	if err != nil {
		return err
	}
	defer done()
	a, err := findAccount(e, st, *id, *email)
	if err != nil {
		return err
	}
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
	if err := parseArgs(fs, args, "new-email"); err != nil {
		return err
	}
	if *id == "" && *email == "" {
		return usageError{"--id or --email is required"}
	}
	st, done, err := openStore(e)
	if err != nil {
		return err
	}
	defer done()
	a, err := findAccount(e, st, *id, *email)
	if err != nil {
		return err
	}
	if a, err = st.ChangeEmail(e.ctx, supportActor(e), *org, a.ID, *newEmail); err != nil {
		return err
	}
	return output(e, *asJSON, accountJSON(a), func(w io.Writer) { fmt.Fprintf(w, "%s now signs in as %s\n", a.ID, a.Email) })
}
