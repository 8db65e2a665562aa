// Package mail delivers already-composed messages.
//
// The flow: the mail outbox (elsewhere) turns a pending row into a Message
// and calls Sender.Send. The message is composed once (compose: Date, From
// with display name, To, RFC 2047 Subject, Message-ID from Message.ID,
// text/plain UTF-8 body) and then either
//
//   - sent by SMTPSender over a fresh connection (STARTTLS, implicit TLS, or
//     none; AUTH PLAIN when a user name is set), honoring the context's
//     deadline; or
//   - written by LogSender as an .eml file under <data dir>/mail and logged
//     (event "mail.written"), when no SMTP host is configured.
//
// IsPermanent tells the outbox whether to give up on a message (an invalid
// message, a 5xx reply to MAIL, RCPT or DATA) or to retry it later
// (connection, TLS, authentication, 4xx, or a cancelled context).
package mail
