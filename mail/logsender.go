package mail

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// LogSender is the development Sender, used when no SMTP host is
// configured: it writes each message to <dataDir>/mail/<timestamp>-<id>.eml
// (mode 0600, in a 0700 directory) and logs the recipient, the subject and
// the file's path, never the body: its links (invitations, password resets)
// are live secrets, and logs travel further than the data directory. The
// person trying idbridge opens the file to follow a link. The body uses 8bit
// transfer encoding so that long links are not folded as quoted-printable would.
type LogSender struct {
	Dir    string // where .eml files go
	From   string // default From
	Logger *slog.Logger
	Now    func() time.Time // nil means time.Now
}

var _ Sender = (*LogSender)(nil)

// NewLogSender returns a LogSender writing under dataDir/mail.
func NewLogSender(dataDir, from string, logger *slog.Logger) *LogSender {
	return &LogSender{Dir: filepath.Join(dataDir, "mail"), From: from, Logger: logger}
}

// Send writes m to a new file and logs event "mail.written". Its only
// permanent error is an invalid message.
func (s *LogSender) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	t := now()
	env, err := compose(m, s.From, t, eightBit)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("mail dir: %w", err)
	}
	path := filepath.Join(s.Dir, t.UTC().Format("20060102T150405.000000000Z")+"-"+env.id+".eml")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write mail: %w", err)
	}
	if _, err := f.Write(env.data); err != nil {
		f.Close()
		return fmt.Errorf("write mail: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write mail: %w", err)
	}
	logger := s.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.InfoContext(ctx, "mail.written", "to", m.To, "subject", m.Subject, "path", path)
	return nil
}
