package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Events tell the platform's applications what changed (the feed
// /api/events and webhooks). Every change that writes an audit entry goes
// through audit(), which derives the change's events from the entry and
// writes them in the same transaction: an event exists exactly when its
// change committed, whatever the door (SCIM, admin, console, CLI, sign-in).

// Event is one committed change of an org's people, groups or sign-in setup.
type Event struct {
	// Pos is the event's place in the feed (ordered by it).
	Pos      EventPos      `json:"-"`
	ID       string        `json:"id"`
	Type     string        `json:"type"`
	OrgID    string        `json:"org"`
	At       time.Time     `json:"time"`
	Actor    EventActor    `json:"actor"`
	Resource EventResource `json:"resource"`
	// Changed names the fields a user.updated or group.updated changed.
	Changed []string `json:"changed,omitempty"`
}

// EventActor is who made the change.
type EventActor struct {
	// Kind is admin, person, scim, support or system.
	Kind string `json:"kind"`
	// ID is the admin's or person's account id, or the SCIM token's id.
	ID string `json:"id,omitempty"`
	// Name is the SCIM token's or the operator's name.
	Name string `json:"name,omitempty"`
}

// EventResource is what changed: its type (user, group, org, connection),
// id, and state after the change (before it, for a removal), without secrets.
type EventResource struct {
	Type string          `json:"type"`
	ID   string          `json:"id"`
	Data json.RawMessage `json:"data,omitempty"`
}

// EventPos is a position in the feed: events are ordered by (Txn, Seq).
// Txn is the writing transaction's id on PostgreSQL (0 on SQLite), and the
// feed only shows events of transactions older than every running one, so a
// cursor never passes an event that commits later.
type EventPos struct{ Txn, Seq int64 }

// String is the position as an opaque cursor.
func (p EventPos) String() string {
	return strconv.FormatInt(p.Txn, 10) + "." + strconv.FormatInt(p.Seq, 10)
}

// ParseEventCursor reads a cursor of EventPos.String; "" is the start.
func ParseEventCursor(s string) (EventPos, error) {
	if s == "" {
		return EventPos{}, nil
	}
	t, q, ok := strings.Cut(s, ".")
	txn, err1 := strconv.ParseInt(t, 10, 64)
	seq, err2 := strconv.ParseInt(q, 10, 64)
	if !ok || err1 != nil || err2 != nil || txn < 0 || seq < 0 {
		return EventPos{}, invalid("after", "not a cursor of this feed")
	}
	return EventPos{Txn: txn, Seq: seq}, nil
}

// EventTypes lists every event type.
var EventTypes = []string{
	"user.created", "user.updated", "user.email_changed", "user.disabled", "user.enabled", "user.removed",
	"user.invited", "user.activated",
	"group.created", "group.updated", "group.deleted", "group.member_added", "group.member_removed",
	"org.sso_enabled", "org.sso_disabled",
	"connection.created", "connection.updated", "connection.deleted",
	"session.signed_in",
}

// CheckEventTypes refuses an unknown event type.
func CheckEventTypes(types []string) error {
	for _, t := range types {
		if !slices.Contains(EventTypes, t) {
			return invalid("types", "unknown event type %q", t)
		}
	}
	return nil
}

// EventQuery selects a page of the feed.
type EventQuery struct {
	After EventPos
	// OrgIDs, when set, keeps only these orgs' events.
	OrgIDs []string
	// Types, when set, keeps only these types.
	Types []string
	Limit int
}

// EventRetention is how long events are kept by default.
const EventRetention = 30 * 24 * time.Hour

// ListEvents returns the events after q.After in feed order, and the cursor
// to continue from (q.After when there are none).
func (s *Store) ListEvents(ctx context.Context, q EventQuery) (es []Event, next EventPos, err error) {
	if q.Limit <= 0 || q.Limit > MaxPageSize {
		q.Limit = 100
	}
	if err := CheckEventTypes(q.Types); err != nil {
		return nil, q.After, err
	}
	err = s.readOne(ctx, func(tx Tx) error { es, err = tx.ListEvents(ctx, q); return err })
	next = q.After
	if len(es) > 0 {
		next = es[len(es)-1].Pos
	}
	return es, next, err
}

// EventHead is the position of the newest event the feed shows now.
func (s *Store) EventHead(ctx context.Context) (p EventPos, err error) {
	err = s.readOne(ctx, func(tx Tx) error { p, err = tx.EventHead(ctx); return err })
	return p, err
}

// PurgeEvents deletes events older than keep and returns how many.
func (s *Store) PurgeEvents(ctx context.Context, keep time.Duration) (n int, err error) {
	err = s.write(ctx, func(tx Tx, now time.Time) error {
		n, err = tx.DeleteEventsBefore(ctx, now.Add(-keep))
		return err
	})
	return n, err
}

// groupUpdate is the audit entry of a group change; the member ids go to
// the events only, not to the audit log.
type groupUpdate struct {
	Group    Group `json:"group"`
	Added    int   `json:"added"`
	Removed  int   `json:"removed"`
	Replaced bool  `json:"replaced"`

	addedIDs, removedIDs []string
}

// eventsOf derives the events of an audit entry (none for changes apps are
// not told about). before and after are the audit's values; e carries them
// as JSON.
func eventsOf(e AuditEntry, after any) []Event {
	if e.OrgID == "" {
		return nil
	}
	ev := func(typ, resType string, data json.RawMessage, changed []string) Event {
		return Event{ID: newID(), Type: typ, OrgID: e.OrgID, At: e.At, Actor: eventActor(e.Actor),
			Resource: EventResource{Type: resType, ID: e.TargetID, Data: data}, Changed: changed}
	}
	switch e.Action {
	case "member.create":
		return []Event{ev("user.created", "user", e.After, nil)}
	case "member.update", "account.name_change":
		changed := changedFields(e.Before, e.After)
		switch {
		case len(changed) == 0:
			return nil // nothing changed: no event
		case slices.Contains(changed, "disabled") && bytes.Contains(e.After, []byte(`"disabled":true`)):
			return []Event{ev("user.disabled", "user", e.After, changed)}
		case slices.Contains(changed, "disabled"):
			return []Event{ev("user.enabled", "user", e.After, changed)}
		}
		return []Event{ev("user.updated", "user", e.After, changed)}
	case "account.email_change":
		if changed := changedFields(e.Before, e.After); len(changed) == 0 {
			return nil
		}
		return []Event{ev("user.email_changed", "user", e.After, []string{"email"})}
	case "member.remove":
		return []Event{ev("user.removed", "user", e.Before, nil)}
	case "member.invite":
		return []Event{ev("user.invited", "user", e.After, nil)}
	case "account.invitation_used":
		return []Event{ev("user.activated", "user", e.After, nil)}
	case "group.create":
		data := e.After
		if m, ok := after.(map[string]any); ok {
			data, _ = json.Marshal(m["group"])
		}
		return []Event{ev("group.created", "group", data, nil)}
	case "group.delete":
		return []Event{ev("group.deleted", "group", e.Before, nil)}
	case "group.update":
		u, ok := after.(groupUpdate)
		if !ok {
			return nil
		}
		data, _ := json.Marshal(u.Group)
		var out []Event
		if changed := changedFields(e.Before, data); len(changed) > 0 || u.Replaced {
			if u.Replaced {
				changed = append(changed, "members")
			}
			out = append(out, ev("group.updated", "group", data, changed))
		}
		if len(u.removedIDs) > 0 {
			d, _ := json.Marshal(map[string]any{"group": u.Group, "members": u.removedIDs})
			out = append(out, ev("group.member_removed", "group", d, nil))
		}
		if len(u.addedIDs) > 0 {
			d, _ := json.Marshal(map[string]any{"group": u.Group, "members": u.addedIDs})
			out = append(out, ev("group.member_added", "group", d, nil))
		}
		return out
	case "org.sso_enable":
		return []Event{ev("org.sso_enabled", "org", e.After, nil)}
	case "org.sso_disable":
		return []Event{ev("org.sso_disabled", "org", e.After, nil)}
	case "connection.create":
		return []Event{ev("connection.created", "connection", e.After, nil)}
	case "connection.update", "connection.test_passed":
		return []Event{ev("connection.updated", "connection", e.After, changedFields(e.Before, e.After))}
	case "connection.delete":
		return []Event{ev("connection.deleted", "connection", e.Before, nil)}
	}
	return nil
}

func eventActor(a Actor) EventActor {
	switch a.Kind {
	case ActorAdmin:
		return EventActor{Kind: "admin", ID: a.AccountID}
	case ActorSelf:
		return EventActor{Kind: "person", ID: a.AccountID}
	case ActorSCIM:
		return EventActor{Kind: "scim", ID: a.TokenID, Name: a.Name}
	}
	return EventActor{Kind: string(a.Kind), Name: a.Name}
}

// changedFields names the top-level fields that differ between two JSON
// objects (ignoring updatedAt), sorted.
func changedFields(before, after json.RawMessage) []string {
	var b, a map[string]json.RawMessage
	_ = json.Unmarshal(before, &b)
	_ = json.Unmarshal(after, &a)
	var out []string
	for k, v := range a {
		if w, ok := b[k]; (!ok || !bytes.Equal(v, w)) && k != "UpdatedAt" && k != "updatedAt" {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// writeEvents inserts the events of an audit entry.
func writeEvents(ctx context.Context, tx Tx, e AuditEntry, after any) error {
	for _, ev := range eventsOf(e, after) {
		if err := tx.InsertEvent(ctx, ev); err != nil {
			return fmt.Errorf("event %s: %w", ev.Type, err)
		}
	}
	return nil
}

// recordSignIn records a successful sign-in into an org with its
// session.signed_in event (both doors, password and SSO, come here).
func recordSignIn(ctx context.Context, tx Tx, si SignIn) error {
	if err := tx.InsertSignIn(ctx, si); err != nil {
		return err
	}
	data, err := json.Marshal(map[string]string{"method": si.Method, "connectionId": si.ConnectionID})
	if err != nil {
		return err
	}
	return tx.InsertEvent(ctx, Event{ID: newID(), Type: "session.signed_in", OrgID: si.OrgID, At: si.At,
		Actor: EventActor{Kind: "person", ID: si.AccountID}, Resource: EventResource{Type: "user", ID: si.AccountID, Data: data}})
}
