package storetest

import (
	"slices"
	"strings"
	"time"

	"github.com/idbridge/idbridge/store"
)

var auditTests = []test{
	{name: "rule15_audit_log", fn: testRule15},
	{name: "rule16_notifications_from_org_sender", fn: testRule16},
}

func testRule15(e *env) {
	tn := e.tenant()
	other := e.tenant()
	pw := password()
	m := must(e.s.CreateMember(e.ctx, tn.Actor, tn.ID, store.NewMember{Email: email("audited"), Password: pw, Invite: true}))(e)
	invitation := e.invitationSecret(m.Account.Email)
	_, tokenSecret := e.scim(tn)
	e.clock.Advance(time.Second)
	newPW := password()
	must(e.s.AcceptInvitation(e.ctx, invitation, newPW, newPW))(e)
	e.ok(e.s.RequestPasswordReset(e.ctx, tn.ID, m.Account.Email), "RequestPasswordReset")
	reset := e.resetSecret(m.Account.Email)
	lastPW := password()
	must(e.s.ResetPassword(e.ctx, reset, lastPW, lastPW))(e)
	e.ok(e.s.ChangePassword(e.ctx, m.Account.ID, nil, lastPW, pw, pw), "ChangePassword")
	must(e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, m.Account.ID, change(store.MembershipChange{Subscription: new(store.SubscriptionContributor)})))(e)
	must(e.s.ChangeEmail(e.ctx, tn.Actor, tn.ID, m.Account.ID, email("moved")))(e)
	must(e.s.CreateMember(e.ctx, other.Actor, other.ID, store.NewMember{Email: email("theirs")}))(e)

	entries := e.auditOf(tn.ID)
	wantActions := []string{"org.create", "member.create", "member.create", "scim_token.create", "account.invitation_used",
		"account.reset_request", "account.reset_used", "member.update", "account.email_change"}
	var got []string
	for i, a := range slices.Backward(entries) {
		got = append(got, a.Action)
		if a.OrgID != tn.ID || a.At.IsZero() || a.Actor.Kind == "" {
			e.Errorf("entry %d = %+v: want this org, a time and an actor", i, a)
		}
		if i > 0 && entries[i-1].Seq <= a.Seq {
			e.Errorf("entries not newest first: seq %d before %d", entries[i-1].Seq, a.Seq)
		}
	}
	if !slices.Equal(got, wantActions) {
		e.Errorf("actions = %v\nwant      %v", got, wantActions)
	}
	// Who: the admin by account, support by name, the person themself.
	for _, a := range entries {
		switch a.Action {
		case "member.update", "account.email_change":
			if a.Actor.Kind != store.ActorAdmin || a.Actor.AccountID != tn.Admin.Account.ID {
				e.Errorf("%s by %+v, want the admin", a.Action, a.Actor)
			}
			if len(a.Before) == 0 || len(a.After) == 0 {
				e.Errorf("%s without before and after", a.Action)
			}
		case "org.create":
			if a.Actor.Kind != store.ActorSupport || a.Actor.Name != "storetest" {
				e.Errorf("org.create by %+v, want support by name", a.Actor)
			}
		case "account.reset_used", "account.invitation_used":
			if a.Actor.Kind != store.ActorSelf || a.Actor.AccountID != m.Account.ID {
				e.Errorf("%s by %+v, want the person", a.Action, a.Actor)
			}
		}
	}
	// Never secrets, anywhere in the log about this org or this account.
	all := e.auditWhere(func(a store.AuditEntry) bool { return a.OrgID == tn.ID || a.TargetID == m.Account.ID })
	if n := len(e.auditWhere(func(a store.AuditEntry) bool {
		return a.TargetID == m.Account.ID && a.Action == "account.password_change"
	})); n != 1 {
		e.Errorf("password change audited %d times, want 1", n)
	}
	for _, a := range all {
		text := string(a.Before) + string(a.After) + a.Actor.Name
		for _, secret := range []string{pw, newPW, lastPW, invitation, reset, tokenSecret, "$argon2id"} {
			if strings.Contains(text, secret) {
				e.Errorf("audit entry %s holds a secret (%.12s...)", a.Action, secret)
			}
		}
		if strings.Contains(strings.ToLower(text), "passwordhash") {
			e.Errorf("audit entry %s mentions a password hash", a.Action)
		}
	}
	// Paging with BeforeSeq walks the same entries.
	var paged []store.AuditEntry
	q := store.AuditQuery{OrgID: tn.ID, Limit: 3}
	for {
		page := must(e.s.ListAudit(e.ctx, q))(e)
		paged = append(paged, page...)
		if len(page) < q.Limit {
			break
		}
		q.BeforeSeq = page[len(page)-1].Seq
	}
	e.same("paged audit", paged, entries)
	// Another org's log is its own.
	for _, a := range e.auditOf(other.ID) {
		if a.OrgID != other.ID || a.TargetID == m.Account.ID {
			e.Errorf("another org's log shows %+v", a)
		}
	}
	if service := e.auditWhere(func(a store.AuditEntry) bool { return a.OrgID == other.ID }); len(service) == 0 {
		e.Errorf("the service-wide log does not list another org's entries")
	}
}

func testRule16(e *env) {
	tn := e.tenant()
	plain := e.tenant()
	senderEmail, senderName := "hr@"+tn.Domains[0], "Acme People "+rnd()
	must(e.s.UpdateOrg(e.ctx, tn.Actor, tn.ID, store.OrgSettings{SenderEmail: &senderEmail, SenderName: &senderName}))(e)
	m := must(e.s.CreateMember(e.ctx, tn.Actor, tn.ID, store.NewMember{Email: email("notified"), Invite: true, GivenName: "Nora"}))(e)
	e.ok(e.s.RequestPasswordReset(e.ctx, tn.ID, m.Account.Email), "RequestPasswordReset")
	old := m.Account.Email
	must(e.s.ChangeEmail(e.ctx, tn.Actor, tn.ID, m.Account.ID, email("renamed")))(e)
	msgs := e.mails(old)
	kinds := make([]string, len(msgs))
	for i, msg := range msgs {
		kinds[i] = msg.Kind
		if msg.FromEmail != senderEmail || msg.FromName != senderName || msg.OrgID != tn.ID || msg.To != old {
			e.Errorf("%s from %q <%s> (org %s), want %q <%s>", msg.Kind, msg.FromName, msg.FromEmail, msg.OrgID, senderName, senderEmail)
		}
		if msg.SentAt != nil || msg.FailedAt != nil || msg.Attempts != 0 || msg.Subject == "" || msg.Body == "" || msg.ID == "" {
			e.Errorf("%s is not a fresh message: %+v", msg.Kind, msg)
		}
	}
	if want := []string{"invitation", "password_reset", "email_changed"}; !slices.Equal(kinds, want) {
		e.Errorf("messages to the old address = %v, want %v (oldest first)", kinds, want)
	}
	if inv := e.lastMail(old, "invitation"); !strings.Contains(inv.Body, "Nora") || !strings.Contains(inv.Subject, tn.Name) {
		e.Errorf("invitation does not greet the person or name the org: %q / %q", inv.Subject, inv.Body)
	}
	// An org without a custom sender leaves From empty: the default sender.
	p := must(e.s.CreateMember(e.ctx, plain.Actor, plain.ID, store.NewMember{Email: email("plain"), Invite: true}))(e)
	if msg := e.lastMail(p.Account.Email, "invitation"); msg.FromEmail != "" || msg.FromName != "" || msg.OrgID != plain.ID {
		e.Errorf("default sender message = %+v", msg)
	}
	// A person in both orgs gets the reset link from the org they asked through.
	both := e.member(plain.ID)
	e.member(tn.ID, withEmail(both.Account.Email))
	e.ok(e.s.RequestPasswordReset(e.ctx, tn.ID, both.Account.Email), "RequestPasswordReset through the custom-sender org")
	if msg := e.lastMail(both.Account.Email, "password_reset"); msg.FromEmail != senderEmail || msg.OrgID != tn.ID {
		e.Errorf("reset through the custom-sender org came from %q (org %s)", msg.FromEmail, msg.OrgID)
	}
	e.ok(e.s.RequestPasswordReset(e.ctx, plain.ID, both.Account.Email), "RequestPasswordReset through the plain org")
	if msg := e.lastMail(both.Account.Email, "password_reset"); msg.FromEmail != "" || msg.OrgID != plain.ID {
		e.Errorf("reset through the plain org came from %q (org %s)", msg.FromEmail, msg.OrgID)
	}
	// Nothing of this org's mail reaches the other org's people.
	for _, msg := range e.mails(plain.Admin.Account.Email) {
		e.Errorf("unexpected %s mail to the other org's admin", msg.Kind)
	}
}
