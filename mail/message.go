package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Message is one already-composed mail: plain text, one recipient.
type Message struct {
	ID       string // stable id (the outbox row); becomes the Message-ID
	From     string // address, or "Name <address>"; empty = the sender's default
	FromName string // display name; overrides a name in From or the default
	To       string // address, or "Name <address>"
	Subject  string
	Text     string // body, UTF-8 plain text
}

// Sender delivers a Message. An error for which IsPermanent is true means
// retrying the same message cannot succeed; any other error is temporary.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ErrInvalidMessage is wrapped by errors about the message itself (bad
// address, a line break in the subject). Such errors are permanent.
var ErrInvalidMessage = errors.New("invalid message")

// permanentError marks a failure that retrying the same message cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// IsPermanent reports whether err says the message will never be accepted:
// an invalid message, or a 5xx reply to MAIL, RCPT or DATA. Connection,
// TLS, authentication and 4xx failures are temporary: they depend on the
// server or the configuration, not on the message.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

func invalid(format string, args ...any) error {
	return &permanentError{fmt.Errorf("%w: %s", ErrInvalidMessage, fmt.Sprintf(format, args...))}
}

// envelope is a message ready for the wire: its SMTP addresses and the
// whole RFC 5322 text with CRLF line ends.
type envelope struct {
	id       string // sanitized message id, also used in file names
	from, to string // bare addresses for MAIL FROM and RCPT TO
	data     []byte
}

// Body transfer encodings compose can write.
const (
	quotedPrintable = "quoted-printable" // for SMTP: 7-bit safe, any server
	eightBit        = "8bit"             // for files: links stay unbroken for a person to copy
)

// compose builds the RFC 5322 message. defaultFrom is used when m.From is
// empty; now stamps the Date header; cte is quotedPrintable or eightBit.
// Both senders use it, so the development .eml has exactly SMTP's headers.
func compose(m Message, defaultFrom string, now time.Time, cte string) (envelope, error) {
	fromRaw := m.From
	if fromRaw == "" {
		fromRaw = defaultFrom
	}
	if fromRaw == "" {
		return envelope{}, invalid("no From address and no default")
	}
	from, err := netmail.ParseAddress(fromRaw)
	if err != nil {
		return envelope{}, invalid("From %q: %v", fromRaw, err)
	}
	if m.FromName != "" {
		from.Name = m.FromName
	}
	to, err := netmail.ParseAddress(m.To)
	if err != nil {
		return envelope{}, invalid("To %q: %v", m.To, err)
	}
	for name, v := range map[string]string{"Subject": m.Subject, "FromName": m.FromName, "ID": m.ID} {
		if strings.ContainsAny(v, "\r\n") {
			return envelope{}, invalid("%s contains a line break", name)
		}
	}

	id := sanitizeID(m.ID)
	if id == "" {
		id = uuid.NewString()
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]

	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("Date", now.Format(time.RFC1123Z))
	header("From", from.String()) // encodes a non-ASCII display name (RFC 2047)
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject)) // unchanged when ASCII
	header("Message-ID", "<"+id+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", cte)
	b.WriteString("\r\n")

	text := strings.ReplaceAll(m.Text, "\r\n", "\n")
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	if cte == eightBit {
		b.WriteString(strings.ReplaceAll(text, "\n", "\r\n"))
	} else {
		qp := quotedprintable.NewWriter(&b) // writes CRLF line ends
		if _, err := qp.Write([]byte(text)); err != nil {
			return envelope{}, err
		}
		if err := qp.Close(); err != nil {
			return envelope{}, err
		}
	}
	return envelope{id: id, from: from.Address, to: to.Address, data: b.Bytes()}, nil
}

// sanitizeID keeps the characters that are safe in a Message-ID local part
// and in a file name.
func sanitizeID(id string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, id)
}
