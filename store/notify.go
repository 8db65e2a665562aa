package store

import (
	"fmt"
	"net/url"
	"time"
)

// Notifications are composed here and written to the outbox in the transaction
// of the change that causes them (rule 16); the mail sender delivers them later.

func (s *Store) message(now time.Time, org Org, kind, to, subject, body string) OutboxMessage {
	return OutboxMessage{ID: newID(), OrgID: org.ID, Kind: kind, FromName: org.SenderName, FromEmail: org.SenderEmail,
		To: to, Subject: subject, Body: body, CreatedAt: now, NextAttempt: now}
}

func (s *Store) link(path, secret string) string {
	return s.opt.BaseURL + path + "?token=" + url.QueryEscape(secret)
}

func orgLabel(org Org) string {
	if org.Name == "" {
		return "idbridge"
	}
	return org.Name
}

func (s *Store) invitationMessage(now time.Time, org Org, acc Account, secret string) OutboxMessage {
	body := fmt.Sprintf("Hello %s,\n\nYou have been invited to %s. Open this link to set your password and activate your account:\n\n%s\n\nThe link works once and expires in %s (%s).\n",
		greeting(acc), orgLabel(org), s.link("/invitation", secret), humanDuration(s.opt.InvitationTTL), now.Add(s.opt.InvitationTTL).Format(time.RFC1123))
	return s.message(now, org, "invitation", acc.Email, "You are invited to "+orgLabel(org), body)
}

func (s *Store) resetMessage(now time.Time, org Org, acc Account, secret string) OutboxMessage {
	body := fmt.Sprintf("Hello %s,\n\nSomebody asked to reset the password of your account. Open this link to choose a new password (it also unlocks a locked account):\n\n%s\n\nThe link works once and expires in %s. If you did not ask for it, ignore this email.\n",
		greeting(acc), s.link("/password/reset", secret), humanDuration(s.opt.ResetTTL))
	return s.message(now, org, "password_reset", acc.Email, "Reset your password", body)
}

func (s *Store) emailChangedMessage(now time.Time, org Org, oldEmail, newEmail string) OutboxMessage {
	body := fmt.Sprintf("Hello,\n\nThe sign-in email of your %s account was changed from %s to %s. This address can no longer be used to sign in.\n\nIf you did not expect this change, contact your administrator.\n",
		orgLabel(org), oldEmail, newEmail)
	return s.message(now, org, "email_changed", oldEmail, "Your sign-in email was changed", body)
}

// humanDuration says a link's lifetime as people do: "30 minutes",
// "7 days", "1 hour"; a part of a minute counts as a whole one.
func humanDuration(d time.Duration) string {
	unit := func(n int64, name string) string {
		if n == 1 {
			return "1 " + name
		}
		return fmt.Sprintf("%d %ss", n, name)
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return unit(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	}
	return unit(max(1, int64((d+time.Minute-1)/time.Minute)), "minute")
}

func greeting(a Account) string {
	if a.GivenName != "" {
		return a.GivenName
	}
	return a.Email
}
