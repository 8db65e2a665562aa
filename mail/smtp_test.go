package mail

import (
	"context"
	"crypto/x509"
	"errors"
	"mime"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/idbridge/idbridge/config"
)

func TestSMTPSenderDelivers(t *testing.T) {
	const body = "Welcome to Acme.\n\nOpen https://idbridge.example/invite?token=abc&org=1 to start.\n.\n.leading dot\nZoë's line, long enough to need a soft line break in quoted-printable encoding, yes.\n"
	tests := []struct {
		name       string
		mode       config.TLSMode
		user, pass string // the server's and the sender's
		msg        Message
		wantFrom   string // MAIL FROM
		wantHeader string // From header
	}{
		{
			name:       "plain text, default From",
			mode:       config.TLSNone,
			msg:        Message{ID: "out-1", To: "ada@acme.example", Subject: "Welcome", Text: body},
			wantFrom:   "noreply@idbridge.example",
			wantHeader: `"idbridge" <noreply@idbridge.example>`,
		},
		{
			name: "starttls with auth",
			mode: config.TLSStartTLS, user: "mailer", pass: "pa55",
			msg:        Message{ID: "out-2", To: "Ada Lovelace <ada@acme.example>", Subject: "Welcome", Text: body},
			wantFrom:   "noreply@idbridge.example",
			wantHeader: `"idbridge" <noreply@idbridge.example>`,
		},
		{
			name: "implicit tls with auth",
			mode: config.TLSImplicit, user: "mailer", pass: "pa55",
			msg:        Message{ID: "out-3", To: "ada@acme.example", Subject: "Welcome", Text: body},
			wantFrom:   "noreply@idbridge.example",
			wantHeader: `"idbridge" <noreply@idbridge.example>`,
		},
		{
			name: "auth over plain text on loopback",
			mode: config.TLSNone, user: "mailer", pass: "pa55",
			msg:        Message{ID: "out-4", To: "ada@acme.example", Subject: "Welcome", Text: body},
			wantFrom:   "noreply@idbridge.example",
			wantHeader: `"idbridge" <noreply@idbridge.example>`,
		},
		{
			name: "custom From with display name",
			mode: config.TLSNone,
			msg: Message{ID: "out-5", From: "it@acme.example", FromName: "Acme IT",
				To: "ada@acme.example", Subject: "Welcome", Text: body},
			wantFrom:   "it@acme.example",
			wantHeader: `"Acme IT" <it@acme.example>`,
		},
		{
			name:       "display name only overrides the default's",
			mode:       config.TLSNone,
			msg:        Message{ID: "out-6", FromName: "Acme IT", To: "ada@acme.example", Subject: "Welcome", Text: body},
			wantFrom:   "noreply@idbridge.example",
			wantHeader: `"Acme IT" <noreply@idbridge.example>`,
		},
		{
			name:       "non-ASCII subject and display name",
			mode:       config.TLSNone,
			msg:        Message{ID: "out-7", FromName: "Zoë Ørsted", To: "ada@acme.example", Subject: "Willkommen – Zugang für Zoë", Text: body},
			wantFrom:   "noreply@idbridge.example",
			wantHeader: "=?utf-8?q?Zo=C3=AB_=C3=98rsted?= <noreply@idbridge.example>",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := &backend{user: tt.user, pass: tt.pass}
			s := startServer(t, be, tt.mode)
			s.Username, s.Password = tt.user, config.Secret(tt.pass)

			if err := s.Send(context.Background(), tt.msg); err != nil {
				t.Fatalf("Send() = %v", err)
			}
			msgs := be.messages()
			if len(msgs) != 1 {
				t.Fatalf("server received %d messages, want 1", len(msgs))
			}
			got := msgs[0]
			if got.From != tt.wantFrom || len(got.To) != 1 || got.To[0] != "ada@acme.example" {
				t.Errorf("envelope = %s -> %v, want %s -> [ada@acme.example]", got.From, got.To, tt.wantFrom)
			}
			if got.User != tt.user {
				t.Errorf("authenticated user = %q, want %q", got.User, tt.user)
			}
			if wantTLS := tt.mode != config.TLSNone; got.TLS != wantTLS {
				t.Errorf("TLS = %v, want %v", got.TLS, wantTLS)
			}

			msg, gotBody := parse(t, got.Data)
			h := msg.Header
			if h.Get("From") != tt.wantHeader {
				t.Errorf("From header = %q, want %q", h.Get("From"), tt.wantHeader)
			}
			subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
			if err != nil || subject != tt.msg.Subject {
				t.Errorf("Subject = %q (%q, %v), want %q", subject, h.Get("Subject"), err, tt.msg.Subject)
			}
			for _, r := range h.Get("Subject") {
				if r > 127 {
					t.Errorf("Subject header is not ASCII: %q", h.Get("Subject"))
					break
				}
			}
			wantHeaders := map[string]string{
				"Message-ID":                "<" + tt.msg.ID + "@" + tt.wantFrom[strings.IndexByte(tt.wantFrom, '@')+1:] + ">",
				"Date":                      "Fri, 01 May 2026 12:00:00 +0000",
				"MIME-Version":              "1.0",
				"Content-Type":              "text/plain; charset=utf-8",
				"Content-Transfer-Encoding": "quoted-printable",
			}
			for k, want := range wantHeaders {
				if h.Get(k) != want {
					t.Errorf("%s = %q, want %q", k, h.Get(k), want)
				}
			}
			if to, err := h.AddressList("To"); err != nil || to[0].Address != "ada@acme.example" {
				t.Errorf("To header = %q (%v)", h.Get("To"), err)
			}
			if gotBody != body {
				t.Errorf("body =\n%q\nwant\n%q", gotBody, body)
			}
		})
	}
}

func TestSMTPSenderErrors(t *testing.T) {
	tests := []struct {
		name          string
		mode          config.TLSMode
		serverUser    string
		user, pass    string
		untrusted     bool // sender does not trust the server's certificate
		to            string
		wantPermanent bool
		wantCode      int // SMTP reply code in the error chain, 0 = none
		wantText      string
	}{
		{name: "recipient rejected 5xx", mode: config.TLSNone, to: "reject@acme.example",
			wantPermanent: true, wantCode: 550, wantText: "no such mailbox"},
		{name: "recipient deferred 4xx", mode: config.TLSNone, to: "later@acme.example",
			wantCode: 451, wantText: "try again later"},
		{name: "wrong password", mode: config.TLSStartTLS, serverUser: "mailer", user: "mailer", pass: "wrong",
			to: "ada@acme.example", wantCode: 535},
		{name: "auth required but not configured", mode: config.TLSStartTLS, serverUser: "mailer",
			to: "ada@acme.example", wantCode: 530},
		{name: "untrusted certificate", mode: config.TLSStartTLS, untrusted: true,
			to: "ada@acme.example", wantText: "certificate"},
		{name: "untrusted certificate implicit tls", mode: config.TLSImplicit, untrusted: true,
			to: "ada@acme.example", wantText: "certificate"},
		{name: "invalid recipient", mode: config.TLSNone, to: "not an address", wantPermanent: true,
			wantText: "invalid message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := &backend{user: tt.serverUser, pass: "pa55"}
			s := startServer(t, be, tt.mode)
			s.Username, s.Password = tt.user, config.Secret(tt.pass)
			if tt.untrusted {
				s.RootCAs = x509.NewCertPool()
			}
			err := s.Send(context.Background(), Message{ID: "x", To: tt.to, Subject: "Hi", Text: "Hello"})
			if err == nil {
				t.Fatal("Send() = nil, want an error")
			}
			if IsPermanent(err) != tt.wantPermanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, IsPermanent(err), tt.wantPermanent)
			}
			var reply *smtp.SMTPError
			gotCode := 0
			if errors.As(err, &reply) {
				gotCode = reply.Code
			}
			if gotCode != tt.wantCode {
				t.Errorf("reply code = %d, want %d (err %v)", gotCode, tt.wantCode, err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not mention %q", err, tt.wantText)
			}
			if tt.pass != "" && strings.Contains(err.Error(), tt.pass) {
				t.Errorf("error leaks the password: %v", err)
			}
			if n := len(be.messages()); n != 0 {
				t.Errorf("server received %d messages, want 0", n)
			}
		})
	}
}

func TestSMTPSenderHonorsContextDeadline(t *testing.T) {
	// A server that accepts connections and never greets.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	s := &SMTPSender{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, TLSMode: config.TLSNone,
		From: "noreply@idbridge.example"}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(ctx, Message{To: "ada@acme.example", Subject: "Hi", Text: "Hello"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send() = %v, want context.DeadlineExceeded", err)
	}
	if IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = true, want false", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Send took %v after a 200ms deadline", elapsed)
	}
}

func TestNewSMTPSender(t *testing.T) {
	c := config.SMTP{Host: "smtp.example.com", Port: 465, Username: "u", Password: "p",
		TLSMode: config.TLSImplicit, From: "x@example.com"}
	s := NewSMTPSender(c)
	if s.Host != c.Host || s.Port != c.Port || s.Username != c.Username || s.Password != c.Password ||
		s.TLSMode != c.TLSMode || s.From != c.From {
		t.Errorf("NewSMTPSender(%+v) = %+v", c, s)
	}
}
