package mail

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/idbridge/idbridge/config"
)

// received is one message as the test server saw it.
type received struct {
	From string
	To   []string
	Data []byte
	User string // authenticated user, if any
	TLS  bool   // whether MAIL came over TLS
}

// backend is an in-process SMTP server's backend that records messages.
// When user is set, AUTH PLAIN is required before MAIL. Recipients
// reject@... get 550 and later@... get 451.
type backend struct {
	user, pass string

	mu   sync.Mutex
	msgs []received
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{b: b, conn: c}, nil
}

func (b *backend) messages() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

type session struct {
	b    *backend
	conn *smtp.Conn
	user string
	msg  received
}

func (s *session) AuthMechanisms() []string {
	if s.b.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != s.b.user || password != s.b.pass {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.b.user != "" && s.user == "" {
		// As Postfix says it; go-smtp's own ErrAuthRequired is a 502.
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.msg = received{From: from, User: s.user, TLS: isTLS}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	switch {
	case strings.HasPrefix(to, "reject@"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	case strings.HasPrefix(to, "later@"):
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.Data = data
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.msg)
	s.b.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.msg = received{} }
func (s *session) Logout() error { return nil }

// selfSigned returns a certificate for 127.0.0.1 and localhost and a pool
// that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "idbridge test smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// startServer runs an SMTP server on 127.0.0.1:0 for mode and returns a
// sender pointed at it. AUTH is offered in plain text only for TLSNone.
func startServer(t *testing.T, be *backend, mode config.TLSMode) *SMTPSender {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cert, pool := selfSigned(t)
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}}
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0) // closing at cleanup is not news
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	switch mode {
	case config.TLSNone:
		srv.AllowInsecureAuth = true
	case config.TLSStartTLS:
		srv.TLSConfig = tlsConfig
	case config.TLSImplicit:
		ln = tls.NewListener(ln, tlsConfig)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })

	port := ln.Addr().(*net.TCPAddr).Port
	return &SMTPSender{
		Host:    "127.0.0.1",
		Port:    port,
		TLSMode: mode,
		From:    "idbridge <noreply@idbridge.example>",
		RootCAs: pool,
		Now:     func() time.Time { return time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC) },
	}
}

// parse reads a received message and returns it with its decoded body.
func parse(t *testing.T, data []byte) (*netmail.Message, string) {
	t.Helper()
	msg, err := netmail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("received message does not parse: %v\n%s", err, data)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return msg, strings.ReplaceAll(string(body), "\r\n", "\n")
}

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
