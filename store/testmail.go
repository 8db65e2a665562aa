package store

import (
	"context"
	"fmt"
	"time"
)

// SendTestMessage writes a test email to the signed-in admin (the actor)
// from the org's sender (its custom sender when set, rule 16), in the
// outbox in the same transaction as its audit entry, so the admin sees
// what people of the org receive. Only an enabled system admin of the org
// may send one: the message goes to their own address.
func (s *Store) SendTestMessage(ctx context.Context, actor Actor, orgID string) (OutboxMessage, error) {
	var msg OutboxMessage
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		if actor.Kind != ActorAdmin {
			return fmt.Errorf("%w: a test message goes to the signed-in admin who asks for it", ErrForbidden)
		}
		if err := authorize(ctx, tx, actor, orgID); err != nil {
			return err
		}
		org, err := tx.GetOrg(ctx, orgID, LockShare)
		if err != nil {
			return err
		}
		acc, err := tx.GetAccount(ctx, actor.AccountID, LockNone)
		if err != nil {
			return err
		}
		msg = s.testMessage(now, org, acc)
		if err := tx.InsertOutbox(ctx, msg); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, orgID, "org.test_message", "org", orgID, nil,
			map[string]string{"to": msg.To, "fromName": msg.FromName, "fromEmail": msg.FromEmail})
	})
	return msg, err
}

func (s *Store) testMessage(now time.Time, org Org, acc Account) OutboxMessage {
	from := "the default sender"
	if org.SenderEmail != "" {
		from = org.SenderEmail
		if org.SenderName != "" {
			from = org.SenderName + " <" + org.SenderEmail + ">"
		}
	}
	body := fmt.Sprintf("Hello %s,\n\nThis is a test message from %s, sent because you asked for one in the admin console. Invitations, password reset links and email-change notices of %s come from %s.\n",
		greeting(acc), orgLabel(org), orgLabel(org), from)
	return s.message(now, org, "test", acc.Email, "Test message from "+orgLabel(org), body)
}
