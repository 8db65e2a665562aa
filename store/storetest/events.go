package storetest

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/idbridge/idbridge/store"
)

var eventTests = []test{
	{name: "events_every_door_once", fn: testEventsEveryDoor},
	{name: "events_none_for_refused", fn: testEventsRefused},
	{name: "events_feed_paging", fn: testEventsPaging},
}

// eventSerialTests purge or claim service-wide: serial.
var eventSerialTests = []test{
	{name: "events_purge", fn: testEventsPurge},
	{name: "webhooks_lease", fn: testWebhookLease, epoch: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)},
}

// orgEvents returns every event of the org in feed order, once every change
// made so far shows in the feed: it writes a marker change (a group) and
// reads until the marker shows (on PostgreSQL the feed waits for older
// running transactions, of other tests too); markers are left out.
func (e *env) orgEvents(orgID string) []store.Event {
	e.Helper()
	marker := must(e.s.CreateGroup(e.ctx, support, orgID, store.NewGroup{DisplayName: "marker " + rnd()}))(e)
	for {
		var all []store.Event
		var after store.EventPos
		for {
			page, next, err := e.s.ListEvents(e.ctx, store.EventQuery{After: after, OrgIDs: []string{orgID}, Limit: 3})
			e.ok(err, "ListEvents")
			if len(page) == 0 {
				break
			}
			all, after = append(all, page...), next
		}
		if slices.ContainsFunc(all, func(ev store.Event) bool { return ev.Resource.ID == marker.ID }) {
			e.ok(e.s.DeleteGroup(e.ctx, support, orgID, marker.ID), "delete marker")
			return withoutMarkers(all)
		}
		select {
		case <-e.ctx.Done():
			e.Fatalf("the marker event never showed in the feed")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func withoutMarkers(es []store.Event) []store.Event {
	return slices.DeleteFunc(es, func(ev store.Event) bool {
		var g store.Group
		return ev.Resource.Type == "group" && json.Unmarshal(ev.Resource.Data, &g) == nil && strings.HasPrefix(g.DisplayName, "marker ")
	})
}

func eventTypes(es []store.Event) []string {
	out := make([]string, len(es))
	for i, ev := range es {
		out[i] = ev.Type
	}
	return out
}

func testEventsEveryDoor(e *env) {
	tn := e.tenant()
	before := len(e.orgEvents(tn.ID)) // the admin's creation
	scim, _ := e.scim(tn)             // no event: tokens are not told about
	// SCIM creates, the admin invites, the person accepts.
	m := must(e.s.CreateMember(e.ctx, scim, tn.ID, store.NewMember{Email: email("ev"), GivenName: "Ada", FamilyName: "L"}))(e)
	must(e.s.Invite(e.ctx, tn.Actor, tn.ID, m.Account.ID))(e)
	pw := password()
	must(e.s.AcceptInvitation(e.ctx, e.invitationSecret(m.Account.Email), pw, pw))(e)
	// Updates: support disables, the admin enables, SCIM changes the subscription.
	must(e.s.UpdateMember(e.ctx, support, tn.ID, m.Account.ID, change(store.MembershipChange{Disabled: new(true)})))(e)
	must(e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, m.Account.ID, change(store.MembershipChange{Disabled: new(false)})))(e)
	must(e.s.UpdateMember(e.ctx, scim, tn.ID, m.Account.ID, change(store.MembershipChange{Subscription: new(store.SubscriptionContributor)})))(e)
	// An update that changes nothing is no event.
	must(e.s.UpdateMember(e.ctx, scim, tn.ID, m.Account.ID, change(store.MembershipChange{Subscription: new(store.SubscriptionContributor)})))(e)
	moved := must(e.s.ChangeEmail(e.ctx, tn.Actor, tn.ID, m.Account.ID, email("moved")))(e)
	g := must(e.s.CreateGroup(e.ctx, scim, tn.ID, store.NewGroup{DisplayName: "Eng " + rnd()}))(e)
	must(e.s.UpdateGroup(e.ctx, scim, tn.ID, g.ID, store.GroupChange{AddMembers: []store.GroupMember{{AccountID: m.Account.ID}}}))(e)
	must(e.s.UpdateGroup(e.ctx, scim, tn.ID, g.ID, store.GroupChange{RemoveMembers: []string{m.Account.ID}}))(e)
	must(e.s.UpdateGroup(e.ctx, tn.Actor, tn.ID, g.ID, store.GroupChange{DisplayName: new("Engineering " + rnd())}))(e)
	e.ok(e.s.DeleteGroup(e.ctx, scim, tn.ID, g.ID), "DeleteGroup")
	c := e.connection(tn, true)
	must(e.s.EnableSSO(e.ctx, tn.Actor, tn.ID, c.ID))(e)
	must(e.s.DisableSSO(e.ctx, support, tn.ID))(e)
	e.ok(e.s.DeleteConnection(e.ctx, tn.Actor, tn.ID, c.ID), "DeleteConnection")
	must(e.s.PasswordSignIn(e.ctx, tn.ID, moved.Email, pw))(e)
	_, err := e.s.PasswordSignIn(e.ctx, tn.ID, moved.Email, "wrong-"+pw) // refused: no event
	e.wantIs(err, store.ErrBadCredentials, "a wrong password")
	e.ok(e.s.RemoveMember(e.ctx, scim, tn.ID, m.Account.ID), "RemoveMember")

	evs := e.orgEvents(tn.ID)[before:]
	want := []string{"user.created", "user.invited", "user.activated", "user.disabled", "user.enabled", "user.updated",
		"user.email_changed", "group.created", "group.member_added", "group.member_removed", "group.updated",
		"group.deleted", "connection.created", "connection.updated", "org.sso_enabled", "org.sso_disabled",
		"connection.deleted", "session.signed_in", "user.removed"}
	if got := eventTypes(evs); !slices.Equal(got, want) {
		e.Fatalf("events = %v\nwant     %v", got, want)
	}
	ids := map[string]bool{}
	for i, ev := range evs {
		if ev.OrgID != tn.ID || ev.At.IsZero() || ev.ID == "" || ids[ev.ID] {
			e.Errorf("event %d = %+v: want this org, a time and a new id", i, ev)
		}
		ids[ev.ID] = true
		if i > 0 && !posLess(evs[i-1].Pos, ev.Pos) {
			e.Errorf("event %d at %v, not after %v", i, ev.Pos, evs[i-1].Pos)
		}
		if strings.Contains(string(ev.Resource.Data), pw) || strings.Contains(string(ev.Resource.Data), "argon2") {
			e.Errorf("event %s carries a secret: %s", ev.Type, ev.Resource.Data)
		}
	}
	byType := func(typ string) store.Event { return evs[slices.Index(want, typ)] }
	wantActor := func(typ string, a store.EventActor) {
		if got := byType(typ).Actor; got != a {
			e.Errorf("%s by %+v, want %+v", typ, got, a)
		}
	}
	wantActor("user.created", store.EventActor{Kind: "scim", ID: scim.TokenID, Name: scim.Name})
	wantActor("user.invited", store.EventActor{Kind: "admin", ID: tn.Admin.Account.ID})
	wantActor("user.activated", store.EventActor{Kind: "person", ID: m.Account.ID})
	wantActor("user.disabled", store.EventActor{Kind: "support", Name: "storetest"})
	if ev := byType("user.updated"); !slices.Equal(ev.Changed, []string{"subscription"}) || ev.Resource.ID != m.Account.ID ||
		ev.Resource.Type != "user" {
		e.Errorf("user.updated = %+v, want the subscription of the user changed", ev)
	}
	var data map[string]any
	e.ok(json.Unmarshal(byType("user.created").Resource.Data, &data), "user.created data")
	if data["email"] != m.Account.Email {
		e.Errorf("user.created data = %v, want the user after the change", data)
	}
	if ev := byType("group.member_added"); !strings.Contains(string(ev.Resource.Data), m.Account.ID) {
		e.Errorf("group.member_added = %s, want the member's id", ev.Resource.Data)
	}
}

func posLess(a, b store.EventPos) bool { return a.Txn < b.Txn || (a.Txn == b.Txn && a.Seq < b.Seq) }

func testEventsRefused(e *env) {
	tn := e.tenant()
	other := e.tenant()
	scim, _ := e.scim(tn)
	before := e.orgEvents(tn.ID)
	m := e.member(tn.ID)
	// Refused: the last admin cannot disable themself, another org's admin
	// sees nothing, SCIM cannot turn SSO on, a bad email, a duplicate group.
	_, err := e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, tn.Admin.Account.ID, change(store.MembershipChange{Disabled: new(true)}))
	if err == nil {
		e.Fatalf("the last admin disabled themself")
	}
	_, err = e.s.UpdateMember(e.ctx, other.Actor, tn.ID, m.Account.ID, change(store.MembershipChange{Disabled: new(true)}))
	e.wantNotFound(err, "another org's admin")
	c := e.connection(tn, false)
	_, err = e.s.EnableSSO(e.ctx, scim, tn.ID, c.ID)
	e.wantIs(err, store.ErrForbidden, "SCIM enabling SSO")
	_, err = e.s.CreateMember(e.ctx, scim, tn.ID, store.NewMember{Email: "not an email"})
	e.wantRule(err, store.RuleEmailSyntax, "bad email")
	g := must(e.s.CreateGroup(e.ctx, scim, tn.ID, store.NewGroup{DisplayName: "Dup " + rnd()}))(e)
	_, err = e.s.CreateGroup(e.ctx, scim, tn.ID, store.NewGroup{DisplayName: g.DisplayName})
	e.wantConflict(err, "group_name", "duplicate group")
	_, err = e.s.UpdateGroup(e.ctx, scim, tn.ID, g.ID, store.GroupChange{AddMembers: []store.GroupMember{{AccountID: other.Admin.Account.ID}}})
	if err == nil {
		e.Fatalf("another org's person added to a group")
	}
	got := e.orgEvents(tn.ID)
	// Created user, connection, group: nothing of the refusals.
	if types := eventTypes(got[len(before):]); !slices.Equal(types, []string{"user.created", "connection.created", "group.created"}) {
		e.Errorf("events after refusals = %v, want the three committed changes only", types)
	}
}

func testEventsPaging(e *env) {
	tn := e.tenant()
	other := e.tenant()
	for range 5 {
		e.member(tn.ID)
		e.member(other.ID)
	}
	all := e.orgEvents(tn.ID)
	// Pages of 2 through the org's events give each once, in order.
	var paged []store.Event
	var after store.EventPos
	for {
		page, next, err := e.s.ListEvents(e.ctx, store.EventQuery{After: after, OrgIDs: []string{tn.ID}, Limit: 2})
		e.ok(err, "ListEvents")
		if len(page) == 0 {
			if next != after {
				e.Errorf("an empty page moved the cursor from %v to %v", after, next)
			}
			break
		}
		if len(page) > 2 {
			e.Fatalf("page of %d, want at most 2", len(page))
		}
		paged, after = append(paged, withoutMarkers(page)...), next
		// The cursor round-trips as text.
		if p, err := store.ParseEventCursor(next.String()); err != nil || p != next {
			e.Fatalf("cursor %q = %v, %v", next.String(), p, err)
		}
	}
	if len(paged) != len(all) {
		e.Fatalf("paged %d events, want %d", len(paged), len(all))
	}
	for i := range all {
		if paged[i].ID != all[i].ID {
			e.Errorf("page event %d = %s, want %s", i, paged[i].ID, all[i].ID)
		}
	}
	// Types filter: only user.created, both orgs.
	page, _, err := e.s.ListEvents(e.ctx, store.EventQuery{OrgIDs: []string{tn.ID, other.ID}, Types: []string{"user.created"}, Limit: 1000})
	e.ok(err, "ListEvents types")
	if len(page) != 12 { // 2 admins + 10 members
		e.Errorf("user.created of both orgs = %d, want 12", len(page))
	}
	for _, ev := range page {
		if ev.Type != "user.created" || (ev.OrgID != tn.ID && ev.OrgID != other.ID) {
			e.Errorf("filtered event %+v", ev)
		}
	}
	_, _, err = e.s.ListEvents(e.ctx, store.EventQuery{Types: []string{"user.exploded"}})
	e.wantInvalid(err, "unknown type")
	if _, err := store.ParseEventCursor("12"); err == nil {
		e.Errorf("a malformed cursor was accepted")
	}
}

func testEventsPurge(e *env) {
	tn := e.tenant()
	old := len(e.orgEvents(tn.ID))
	if old == 0 {
		e.Fatalf("no events for a new org")
	}
	e.clock.Advance(40 * 24 * time.Hour)
	e.member(tn.ID)
	_, err := e.s.PurgeEvents(e.ctx, store.EventRetention)
	e.ok(err, "PurgeEvents")
	evs := e.orgEvents(tn.ID)
	if types := eventTypes(evs); len(evs) != 1 || types[0] != "user.created" {
		e.Errorf("after the purge: %v, want the new member's event only", types)
	}
}

// testWebhookLease: a claim that lost its endpoint to another claim cannot
// move its cursor; the new holder can.
func testWebhookLease(e *env) {
	tn := e.tenant()
	_, err := e.s.CreateWebhook(e.ctx, tn.Actor, tn.ID, "https://hooks.example.com/x", nil)
	e.wantIs(err, store.ErrForbidden, "an admin creating a webhook")
	_, err = e.s.CreateWebhook(e.ctx, support, tn.ID, "ftp://hooks.example.com/x", nil)
	e.wantInvalid(err, "ftp URL")
	// A new endpoint starts at the feed's head as it shows then; on PostgreSQL
	// an event that committed just before may show only later (and then goes
	// to the endpoint too): let the admin's creation show first.
	e.orgEvents(tn.ID)
	w := must(e.s.CreateWebhook(e.ctx, support, tn.ID, "https://hooks.example.com/x", []string{"user.created"}))(e)
	defer func() { e.ok(e.s.DeleteWebhook(e.ctx, support, w.ID), "DeleteWebhook") }()
	if !strings.HasPrefix(w.Secret, "whsec_") {
		e.Errorf("secret %q", w.Secret)
	}
	m := e.member(tn.ID)
	e.orgEvents(tn.ID)
	first := must(e.s.ClaimWebhooks(e.ctx, 10))(e)
	if len(first) != 1 || first[0].ID != w.ID {
		e.Fatalf("claimed %+v, want the one webhook", first)
	}
	evs := must(e.s.WebhookEvents(e.ctx, first[0], 10))(e)
	if len(evs) != 1 || evs[0].Type != "user.created" || evs[0].Resource.ID != m.Account.ID {
		e.Fatalf("webhook events = %+v, want the member's creation only (types filter)", evs)
	}
	e.clock.Advance(store.WebhookLease + time.Second)
	second := must(e.s.ClaimWebhooks(e.ctx, 10))(e)
	if len(second) != 1 {
		e.Fatalf("the expired lease was not claimed again")
	}
	_, err = e.s.MarkWebhookDelivered(e.ctx, first[0], evs[0])
	e.wantIs(err, store.ErrWebhookLeaseLost, "the first claim marking")
	_, err = e.s.RenewWebhookLease(e.ctx, first[0])
	e.wantIs(err, store.ErrWebhookLeaseLost, "the first claim renewing")
	after := must(e.s.MarkWebhookDelivered(e.ctx, second[0], evs[0]))(e)
	if rest := must(e.s.WebhookEvents(e.ctx, after, 10))(e); len(rest) != 0 {
		e.Errorf("after delivery: %d events left", len(rest))
	}
	failed := must(e.s.MarkWebhookFailed(e.ctx, after, errTest))(e)
	if failed.Attempts != 1 || !failed.NextAttempt.After(e.clock.Now()) {
		e.Errorf("failed = %+v, want one attempt and a later try", failed)
	}
	ws := must(e.s.ListWebhooks(e.ctx))(e)
	if i := slices.IndexFunc(ws, func(x store.Webhook) bool { return x.ID == w.ID }); i < 0 || ws[i].Secret != "" {
		e.Errorf("ListWebhooks = %+v, want the webhook without its secret", ws)
	}
}

var errTest = errorString("receiver said no")

type errorString string

func (s errorString) Error() string { return string(s) }
