package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/idbridge/idbridge/config"
)

// SMTPSender delivers each message over its own SMTP connection. The zero
// TLSMode means STARTTLS. Fields are read at each Send; set them before use.
type SMTPSender struct {
	Host     string
	Port     int
	Username string // AUTH PLAIN when set
	Password config.Secret
	TLSMode  config.TLSMode
	From     string // default From, used when Message.From is empty

	// RootCAs verifies the server certificate; nil means the system roots.
	RootCAs *x509.CertPool
	// Now stamps the Date header; nil means time.Now.
	Now func() time.Time
}

var _ Sender = (*SMTPSender)(nil)

// NewSMTPSender returns a sender for the SMTP settings of the configuration.
func NewSMTPSender(c config.SMTP) *SMTPSender {
	return &SMTPSender{
		Host:     c.Host,
		Port:     c.Port,
		Username: c.Username,
		Password: c.Password,
		TLSMode:  c.TLSMode,
		From:     c.From,
	}
}

// Send delivers m. It returns when the server has accepted the message
// (250 after DATA), failed, or ctx is done: a cancelled context or passed
// deadline closes the connection, and the error then wraps ctx.Err().
// Use IsPermanent to tell a rejection of the message from a failure to try.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	env, err := compose(m, s.From, now(), quotedPrintable)
	if err != nil {
		return err
	}
	if s.Host == "" {
		return errors.New("smtp: no host configured")
	}
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))

	conn, err := s.dial(ctx, addr)
	if err != nil {
		return fail(ctx, "connect to "+addr, err, false)
	}
	// go-smtp sets its own per-command deadlines, so the context is honored
	// by closing the connection, which unblocks any read or write at once.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	var c *smtp.Client
	if s.mode() == config.TLSStartTLS {
		if c, err = smtp.NewClientStartTLS(conn, s.tlsConfig()); err != nil {
			return fail(ctx, "starttls with "+addr, err, false)
		}
	} else {
		c = smtp.NewClient(conn)
	}
	defer c.Close()

	if s.Username != "" {
		// NOOP surfaces a failed greeting or EHLO, which SupportsAuth hides.
		if err := c.Noop(); err != nil {
			return fail(ctx, "greet "+addr, err, false)
		}
		if !c.SupportsAuth(sasl.Plain) {
			return fail(ctx, "authenticate", errors.New("server offers no AUTH PLAIN"), false)
		}
		if err := c.Auth(sasl.NewPlainClient("", s.Username, s.Password.Reveal())); err != nil {
			return fail(ctx, "authenticate as "+strconv.Quote(s.Username), err, false)
		}
	}
	// MAIL, RCPT and DATA: a 5xx here is about this message.
	if err := c.SendMail(env.from, []string{env.to}, bytes.NewReader(env.data)); err != nil {
		return fail(ctx, "send to "+strconv.Quote(env.to), err, true)
	}
	// The message is accepted; a failed QUIT changes nothing for it.
	_ = c.Quit()
	return nil
}

func (s *SMTPSender) mode() config.TLSMode {
	if s.TLSMode == "" {
		return config.TLSStartTLS
	}
	return s.TLSMode
}

func (s *SMTPSender) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: s.Host, RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}
}

func (s *SMTPSender) dial(ctx context.Context, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 30 * time.Second}
	switch s.mode() {
	case config.TLSImplicit:
		return (&tls.Dialer{NetDialer: d, Config: s.tlsConfig()}).DialContext(ctx, "tcp", addr)
	case config.TLSStartTLS, config.TLSNone:
		return d.DialContext(ctx, "tcp", addr)
	default:
		return nil, fmt.Errorf("unknown TLS mode %q", s.TLSMode)
	}
}

// fail wraps err with the stage that failed. When ctx is done, the error
// wraps ctx.Err() too, since the closed connection is the visible cause.
// A 5xx reply at a message stage makes the error permanent, except 530
// (authentication required), which is about our configuration.
func fail(ctx context.Context, stage string, err error, messageStage bool) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("smtp %s: %w: %w", stage, ctxErr, err)
	}
	err = fmt.Errorf("smtp %s: %w", stage, err)
	var reply *smtp.SMTPError
	if messageStage && errors.As(err, &reply) && reply.Code >= 500 && reply.Code <= 599 && reply.Code != 530 {
		return &permanentError{err}
	}
	return err
}
