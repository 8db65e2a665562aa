package storetest

import (
	"errors"
	"strings"
	"time"

	"github.com/idbridge/idbridge/store"
)

// The races run real goroutines behind a start barrier, a few rounds each, one
// subtest at a time so each round's contention is its own.
var raceTests = []test{
	{name: "race_create_same_email_two_orgs", fn: testRaceCreateTwoOrgs},
	{name: "race_create_same_email_one_org", fn: testRaceCreateOneOrg},
	{name: "race_enable_sso_vs_change_email", fn: testRaceSSOvsEmail},
	{name: "race_parallel_wrong_passwords", fn: testRaceWrongPasswords},
	{name: "race_lockout_checks_five_passwords", fn: testRaceLockoutChecksFive},
	{name: "race_busy_sign_in_not_counted", fn: testRaceBusyNotCounted},
	{name: "race_admins_demote_each_other", fn: testRaceAdmins},
	{name: "race_invitation_link_used_twice", fn: testRaceInvitation},
	{name: "race_group_member_adds_and_rename", fn: testRaceGroupMemberAdds},
}

// testRaceGroupMemberAdds: member adds to one group run together (they do
// not lock the group row) with a rename (which does): every member lands,
// the rename is not lost, and the group's UpdatedAt (its ETag) moves.
func testRaceGroupMemberAdds(e *env) {
	tn := e.tenant()
	g := must(e.s.CreateGroup(e.ctx, tn.Actor, tn.ID, store.NewGroup{DisplayName: "Race " + rnd()}))(e)
	var ids []string
	for range 8 {
		ids = append(ids, e.member(tn.ID).Account.ID)
	}
	e.clock.Advance(time.Minute)
	name := "Renamed " + rnd()
	var fns []func() error
	for _, id := range ids {
		fns = append(fns, func() error {
			_, err := e.s.UpdateGroup(e.ctx, tn.Actor, tn.ID, g.ID, store.GroupChange{AddMembers: []store.GroupMember{{AccountID: id}}})
			return err
		})
	}
	fns = append(fns, func() error {
		_, err := e.s.UpdateGroup(e.ctx, tn.Actor, tn.ID, g.ID, store.GroupChange{DisplayName: &name})
		return err
	})
	for i, err := range race(fns...) {
		if err != nil {
			e.Errorf("change %d: %v", i, err)
		}
	}
	if got := e.groupMembers(tn.ID, g.ID); len(got) != len(ids) {
		e.Errorf("members = %v, want the %d added", got, len(ids))
	}
	after := must(e.s.GetGroup(e.ctx, tn.ID, g.ID))(e)
	if after.DisplayName != name || !after.UpdatedAt.After(g.UpdatedAt) {
		e.Errorf("after the race: %+v, want name %q and a later UpdatedAt than %v", after, name, g.UpdatedAt)
	}
}

func testRaceCreateTwoOrgs(e *env) {
	for round := range 5 {
		a, b := e.tenant(), e.tenant()
		addr := email("raced")
		var ma, mb store.Member
		errs := race(
			func() (err error) {
				ma, err = e.s.CreateMember(e.ctx, a.Actor, a.ID, store.NewMember{Email: addr})
				return err
			},
			func() (err error) {
				mb, err = e.s.CreateMember(e.ctx, b.Actor, b.ID, store.NewMember{Email: strings.ToUpper(addr)})
				return err
			},
		)
		if errs[0] != nil || errs[1] != nil {
			e.Errorf("round %d: creates in two orgs: %v, %v; want both to succeed", round, errs[0], errs[1])
			continue
		}
		if ma.Account.ID != mb.Account.ID {
			e.Errorf("round %d: two accounts %s and %s for one email (rule 14)", round, ma.Account.ID, mb.Account.ID)
		}
		acc := must(e.s.AccountByEmail(e.ctx, addr))(e)
		if acc.ID != ma.Account.ID {
			e.Errorf("round %d: AccountByEmail = %s, want %s", round, acc.ID, ma.Account.ID)
		}
		if orgs := must(e.s.AccountOrgs(e.ctx, acc.ID))(e); len(orgs) != 2 {
			e.Errorf("round %d: account in %d orgs, want 2", round, len(orgs))
		}
		for _, tn := range []tenant{a, b} {
			if m := must(e.s.MemberByEmail(e.ctx, tn.ID, addr))(e); m.Account.ID != acc.ID {
				e.Errorf("round %d: org %s sees account %s", round, tn.ID, m.Account.ID)
			}
		}
	}
}

func testRaceCreateOneOrg(e *env) {
	for round := range 5 {
		tn := e.tenant()
		other := e.tenant()
		addr := email("twice")
		create := func(given string) func() error {
			return func() error {
				_, err := e.s.CreateMember(e.ctx, tn.Actor, tn.ID, store.NewMember{Email: addr, GivenName: given})
				return err
			}
		}
		errs := race(create("First"), create("Second"))
		ok, conflicts := 0, 0
		for _, err := range errs {
			var ce *store.ConflictError
			switch {
			case err == nil:
				ok++
			case errors.As(err, &ce):
				conflicts++
			default:
				e.Errorf("round %d: unexpected error %v", round, err)
			}
		}
		if ok != 1 || conflicts != 1 {
			e.Errorf("round %d: %d successes and %d conflicts, want 1 and 1", round, ok, conflicts)
		}
		if _, total := e.list(tn.ID, store.MemberQuery{Search: addr}); total != 1 {
			e.Errorf("round %d: %d members with the email, want 1", round, total)
		}
		if n := len(e.auditWhere(func(a store.AuditEntry) bool { return a.OrgID == tn.ID && a.Action == "member.create" })); n != 2 {
			e.Errorf("round %d: %d member.create entries, want 2 (the admin and the winner)", round, n)
		}
		_, err := e.s.MemberByEmail(e.ctx, other.ID, addr)
		e.wantNotFound(err, "another org")
	}
}

func testRaceSSOvsEmail(e *env) {
	both := 0
	for round := range 20 {
		tn := e.tenant()
		other := e.tenant()
		c := e.connection(tn, true)
		m := e.member(tn.ID)
		newAddr := email("racing")
		var acc store.Account
		errs := race(
			func() error { _, err := e.s.EnableSSO(e.ctx, tn.Actor, tn.ID, c.ID); return err },
			func() (err error) {
				acc, err = e.s.ChangeEmail(e.ctx, tn.Actor, tn.ID, m.Account.ID, newAddr)
				return err
			},
		)
		if errs[0] != nil {
			e.Errorf("round %d: EnableSSO: %v", round, errs[0])
			continue
		}
		cur := must(e.s.GetAccount(e.ctx, m.Account.ID))(e)
		switch {
		case errs[1] == nil:
			both++
			if acc.Email != newAddr || cur.Email != newAddr {
				e.Errorf("round %d: email change reported but the account has %q", round, cur.Email)
			}
			var emailSeq, ssoSeq int64
			for _, a := range e.auditOf(tn.ID) {
				switch a.Action {
				case "account.email_change":
					emailSeq = a.Seq
				case "org.sso_enable":
					ssoSeq = a.Seq
				}
			}
			if emailSeq == 0 || ssoSeq == 0 || emailSeq > ssoSeq {
				e.Errorf("round %d: email change (seq %d) committed after SSO was enabled (seq %d)", round, emailSeq, ssoSeq)
			}
		case store.RuleOf(errs[1]) == store.RuleSSOEmailLocked:
			if cur.Email != m.Account.Email {
				e.Errorf("round %d: refused email change left %q, want %q", round, cur.Email, m.Account.Email)
			}
			if n := len(e.mails(m.Account.Email)); n != 0 {
				e.Errorf("round %d: a refused email change queued %d notices", round, n)
			}
		default:
			e.Errorf("round %d: ChangeEmail: %v, want success or rule 1", round, errs[1])
		}
		// Whatever won, the email is locked now.
		_, err := e.s.ChangeEmail(e.ctx, tn.Actor, tn.ID, m.Account.ID, email("after"))
		e.wantRule(err, store.RuleSSOEmailLocked, "ChangeEmail after the race")
		_, err = e.s.ChangeEmail(e.ctx, other.Actor, tn.ID, m.Account.ID, email("other"))
		e.wantNotFound(err, "another org's admin")
	}
	e.Logf("email change won %d of 20 rounds", both)
}

func testRaceWrongPasswords(e *env) {
	for round := range 3 {
		tn := e.tenant()
		pw := password()
		m := e.member(tn.ID, withPassword(pw))
		wrong := func() error {
			_, err := e.s.PasswordSignIn(e.ctx, tn.ID, m.Account.Email, "wrong-password")
			return err
		}
		lockers := 0
		for i, err := range race(wrong, wrong, wrong, wrong, wrong) {
			switch {
			case store.RuleOf(err) == store.RuleLockout:
				lockers++ // the attempt that locks says how to get back in
			case !errors.Is(err, store.ErrBadCredentials):
				e.Errorf("round %d: attempt %d: %v, want ErrBadCredentials", round, i, err)
			}
		}
		if lockers != 1 {
			e.Errorf("round %d: %d attempts answered with the lockout, want exactly 1", round, lockers)
		}
		acc := must(e.s.GetAccount(e.ctx, m.Account.ID))(e)
		if acc.FailedAttempts != store.MaxFailedAttempts || acc.LockedAt == nil {
			e.Errorf("round %d: FailedAttempts %d, locked %v; want %d and locked", round, acc.FailedAttempts, acc.LockedAt != nil, store.MaxFailedAttempts)
		}
		_, err := e.s.PasswordSignIn(e.ctx, tn.ID, m.Account.Email, pw)
		e.wantRule(err, store.RuleLockout, "the right password after five parallel failures")
		if n := len(e.auditWhere(func(a store.AuditEntry) bool { return a.TargetID == m.Account.ID && a.Action == "account.lock" })); n != 1 {
			e.Errorf("round %d: account.lock audited %d times, want 1", round, n)
		}
	}
}

func testRaceAdmins(e *env) {
	for round := range 6 {
		tn := e.tenant()
		other := e.tenant()
		b := e.member(tn.ID, func(n *store.NewMember) { n.UserType = store.UserTypeSystemAdmin })
		bActor := store.AdminActor(tn.ID, b.Account.ID)
		upd := change(store.MembershipChange{UserType: new(store.UserTypeUser)})
		if round%2 == 1 {
			upd = change(store.MembershipChange{Disabled: new(true)})
		}
		errs := race(
			func() error { _, err := e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, b.Account.ID, upd); return err },
			func() error { _, err := e.s.UpdateMember(e.ctx, bActor, tn.ID, tn.Admin.Account.ID, upd); return err },
		)
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case store.RuleOf(err) == store.RuleSubscriptionAdmins, errors.Is(err, store.ErrForbidden):
			default:
				e.Errorf("round %d: unexpected error %v", round, err)
			}
		}
		enabled, _ := e.list(tn.ID, store.MemberQuery{UserTypes: []store.UserType{store.UserTypeSystemAdmin},
			Statuses: []store.Status{store.StatusActive, store.StatusPending, store.StatusInactive}})
		if len(enabled) != 1 || wins != 1 {
			e.Errorf("round %d: %d enabled admins left and %d demotions won, want 1 and 1", round, len(enabled), wins)
		}
		if _, total := e.list(other.ID, store.MemberQuery{UserTypes: []store.UserType{store.UserTypeSystemAdmin}}); total != 1 {
			e.Errorf("round %d: another org's admins changed", round)
		}
	}
}

func testRaceInvitation(e *env) {
	for round := range 3 {
		tn := e.tenant()
		m := e.member(tn.ID, func(n *store.NewMember) { n.Invite = true })
		link := e.invitationSecret(m.Account.Email)
		pw1, pw2 := password(), password()
		errs := race(
			func() error { _, err := e.s.AcceptInvitation(e.ctx, link, pw1, pw1); return err },
			func() error { _, err := e.s.AcceptInvitation(e.ctx, link, pw2, pw2); return err },
		)
		winner := ""
		switch {
		case errs[0] == nil && errors.Is(errs[1], store.ErrLinkInvalid):
			winner = pw1
		case errs[1] == nil && errors.Is(errs[0], store.ErrLinkInvalid):
			winner = pw2
		default:
			e.Errorf("round %d: %v, %v; want one success and one invalid link", round, errs[0], errs[1])
			continue
		}
		if _, err := e.s.PasswordSignIn(e.ctx, tn.ID, m.Account.Email, winner); err != nil {
			e.Errorf("round %d: the winner's password does not work: %v", round, err)
		}
	}
}

// testRaceLockoutChecksFive: 20 wrong passwords at once, for an account and
// for an email without one. Each attempt is counted before its hash, so
// exactly five passwords are checked; after them every answer is the same
// lockout, the right password's included, for both (rules 10, and the
// answers do not tell which email has an account).
func testRaceLockoutChecksFive(e *env) {
	tn := e.tenant()
	pw := password()
	m := e.member(tn.ID, withPassword(pw))
	var lockout string
	for _, addr := range []string{m.Account.Email, email("nobody")} {
		wrong := func() error {
			_, err := e.s.PasswordSignIn(e.ctx, tn.ID, addr, "wrong-password")
			return err
		}
		fns := make([]func() error, 20)
		for i := range fns {
			fns[i] = wrong
		}
		before := e.s.PasswordChecks()
		bad, locked := 0, 0
		for i, err := range race(fns...) {
			switch {
			case errors.Is(err, store.ErrBadCredentials):
				bad++
			case store.RuleOf(err) == store.RuleLockout:
				locked++
				if lockout == "" {
					lockout = err.Error()
				}
				if err.Error() != lockout {
					e.Errorf("%s: attempt %d: %q, want the one lockout answer %q", addr, i, err, lockout)
				}
			default:
				e.Errorf("%s: attempt %d: %v, want wrong password or lockout", addr, i, err)
			}
		}
		if n := e.s.PasswordChecks() - before; n != store.MaxFailedAttempts {
			e.Errorf("%s: %d passwords checked for 20 parallel attempts, want %d", addr, n, store.MaxFailedAttempts)
		}
		if bad != store.MaxFailedAttempts-1 || locked != 20-bad {
			e.Errorf("%s: %d wrong-password and %d lockout answers, want %d and %d", addr, bad, locked, store.MaxFailedAttempts-1, 21-store.MaxFailedAttempts)
		}
		before = e.s.PasswordChecks()
		_, err := e.s.PasswordSignIn(e.ctx, tn.ID, addr, pw)
		if err == nil || err.Error() != lockout {
			e.Errorf("%s: the right password after the lockout: %v, want %q", addr, err, lockout)
		}
		if n := e.s.PasswordChecks() - before; n != 0 {
			e.Errorf("%s: %d passwords checked after the lockout, want none", addr, n)
		}
	}
	acc := must(e.s.GetAccount(e.ctx, m.Account.ID))(e)
	if acc.FailedAttempts != store.MaxFailedAttempts || acc.LockedAt == nil {
		e.Errorf("FailedAttempts %d, locked %v; want %d and locked", acc.FailedAttempts, acc.LockedAt != nil, store.MaxFailedAttempts)
	}
	if n := len(e.auditWhere(func(a store.AuditEntry) bool { return a.TargetID == m.Account.ID && a.Action == "account.lock" })); n != 1 {
		e.Errorf("account.lock audited %d times, want 1", n)
	}
}

// testRaceBusyNotCounted: a sign-in answered "busy" (the hashing queue is
// full) never had its password checked, so it does not count towards the
// lockout, for an account or an email without one.
func testRaceBusyNotCounted(e *env) {
	// Real argon2id costs (the dummy hash of unknown emails has them too) and
	// one slot with one waiter: most of the attempts below find the queue full.
	s := store.New(e.b, store.Options{BaseURL: BaseURL, Now: e.clock.Now, HashConcurrency: 1, HashQueue: 1})
	tn := e.tenant()
	var addrs []string
	var known []store.Member
	for range 3 {
		m := must(s.CreateMember(e.ctx, support, tn.ID, store.NewMember{Email: email("busy"), Password: password()}))(e)
		known = append(known, m)
		addrs = append(addrs, m.Account.Email)
	}
	for range 9 {
		addrs = append(addrs, email("nobody"))
	}
	fns := make([]func() error, len(addrs))
	for i, addr := range addrs {
		fns[i] = func() error { _, err := s.PasswordSignIn(e.ctx, tn.ID, addr, "wrong-password"); return err }
	}
	busy := 0
	for i, err := range race(fns...) {
		switch {
		case errors.Is(err, store.ErrBadCredentials):
			continue
		case !errors.Is(err, store.ErrBusy):
			e.Errorf("%s: %v, want wrong password or busy", addrs[i], err)
			continue
		}
		busy++
		if i < len(known) {
			if acc := must(e.s.GetAccount(e.ctx, known[i].Account.ID))(e); acc.FailedAttempts != 0 {
				e.Errorf("%s: FailedAttempts %d after a busy answer, want 0", addrs[i], acc.FailedAttempts)
			}
			continue
		}
		if busy > len(known)+2 { // two emails without an account are enough (each check below costs a real hash)
			continue
		}
		// Counted, its fifth failure would be the fourth below.
		for n := range store.MaxFailedAttempts - 1 {
			if _, err := e.s.PasswordSignIn(e.ctx, tn.ID, addrs[i], "wrong-password"); !errors.Is(err, store.ErrBadCredentials) {
				e.Errorf("%s: failure %d after a busy answer: %v, want wrong password", addrs[i], n+1, err)
			}
		}
	}
	e.Logf("%d of %d attempts answered busy", busy, len(addrs))
}
