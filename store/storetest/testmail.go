package storetest

import (
	"strings"

	"github.com/idbridge/idbridge/store"
)

var testMailTests = []test{
	{name: "org_test_message", fn: testSendTestMessage},
}

// testSendTestMessage: the admin's test message is in the outbox, to the
// admin, from the org's custom sender, with its audit entry; other actors
// and other orgs' admins are refused and write nothing.
func testSendTestMessage(e *env) {
	tn := e.tenant()
	name, addr := "Acme HR", "hr@"+tn.Domains[0]
	must(e.s.UpdateOrg(e.ctx, tn.Actor, tn.ID, store.OrgSettings{SenderName: &name, SenderEmail: &addr}))(e)
	m := must(e.s.SendTestMessage(e.ctx, tn.Actor, tn.ID))(e)
	to := tn.Admin.Account.Email
	ms := e.mails(to)
	if len(ms) != 1 || ms[0].ID != m.ID || ms[0].Kind != "test" || ms[0].FromName != name || ms[0].FromEmail != addr ||
		ms[0].OrgID != tn.ID || !strings.Contains(ms[0].Subject, tn.Name) || ms[0].SentAt != nil {
		e.Fatalf("outbox to %s = %+v, want one unsent test message from %s <%s>", to, ms, name, addr)
	}
	if a := e.auditOf(tn.ID)[0]; a.Action != "org.test_message" || a.Actor.AccountID != tn.Admin.Account.ID || !strings.Contains(string(a.After), to) {
		e.Errorf("newest audit entry = %s %+v %s, want org.test_message by the admin", a.Action, a.Actor, a.After)
	}
	// Refused, nothing written: another org's admin, a SCIM token, support,
	// a plain member of the org.
	other := e.tenant()
	_, err := e.s.SendTestMessage(e.ctx, other.Actor, tn.ID)
	e.wantNotFound(err, "another org's admin")
	scim, _ := e.scim(tn)
	_, err = e.s.SendTestMessage(e.ctx, scim, tn.ID)
	e.wantIs(err, store.ErrForbidden, "a SCIM token")
	_, err = e.s.SendTestMessage(e.ctx, support, tn.ID)
	e.wantIs(err, store.ErrForbidden, "support")
	user := e.member(tn.ID)
	_, err = e.s.SendTestMessage(e.ctx, store.AdminActor(tn.ID, user.Account.ID), tn.ID)
	if err == nil {
		e.Errorf("a plain member sent a test message")
	}
	if n := len(e.mails(to)) + len(e.mails(other.Admin.Account.Email)) + len(e.mails(user.Account.Email)); n != 1 {
		e.Errorf("refused test messages wrote %d messages, want only the first", n-1)
	}
	if n := strings.Count(strings.Join(e.actions(tn.ID), " "), "org.test_message"); n != 1 {
		e.Errorf("%d test messages audited, want only the first", n)
	}
}
