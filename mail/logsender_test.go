package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLogSenderWritesReadableFile(t *testing.T) {
	dataDir := t.TempDir()
	var logs bytes.Buffer
	s := NewLogSender(dataDir, "idbridge <noreply@localhost>", slog.New(slog.NewJSONHandler(&logs, nil)))
	s.Now = func() time.Time { return time.Date(2026, 5, 1, 12, 0, 0, 42, time.UTC) }

	link := "http://localhost:8080/invite/accept?token=" + strings.Repeat("a1b2c3", 20) + "&org=7"
	m := Message{ID: "outbox-17", To: "Ada <ada@acme.example>", Subject: "Einladung für Ada",
		Text: "Hello Ada,\n\nopen " + link + "\n"}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send() = %v", err)
	}

	wantPath := filepath.Join(dataDir, "mail", "20260501T120000.000000042Z-outbox-17.eml")
	info, err := os.Stat(wantPath)
	if err != nil {
		t.Fatalf("no file at %s: %v", wantPath, err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("file mode = %v, want 0600", perm)
	}
	raw, err := os.ReadFile(wantPath)
	if err != nil {
		t.Fatal(err)
	}
	// A person reading the file finds the link whole, on one line.
	if !strings.Contains(string(raw), link+"\r\n") {
		t.Errorf("file does not carry the link unbroken:\n%s", raw)
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("file is not a mail message: %v", err)
	}
	body, _ := io.ReadAll(msg.Body)
	if got := strings.ReplaceAll(string(body), "\r\n", "\n"); got != m.Text {
		t.Errorf("body = %q, want %q", got, m.Text)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subject != m.Subject {
		t.Errorf("Subject = %q, want %q", subject, m.Subject)
	}
	if got := msg.Header.Get("Content-Transfer-Encoding"); got != "8bit" {
		t.Errorf("Content-Transfer-Encoding = %q, want 8bit", got)
	}

	var entry map[string]any
	if err := json.Unmarshal(logs.Bytes(), &entry); err != nil {
		t.Fatalf("log is not one JSON line: %v: %s", err, logs.String())
	}
	want := map[string]any{"msg": "mail.written", "to": m.To, "subject": m.Subject, "path": wantPath}
	for k, v := range want {
		if entry[k] != v {
			t.Errorf("log %s = %v, want %v", k, entry[k], v)
		}
	}
	// The link is a live secret: the log says where the file is, never what it holds.
	if strings.Contains(logs.String(), "a1b2c3") || entry["body"] != nil {
		t.Errorf("the log carries the message's link: %s", logs.String())
	}
}

func TestLogSenderErrors(t *testing.T) {
	s := NewLogSender(t.TempDir(), "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	tests := []struct {
		name          string
		msg           Message
		wantPermanent bool
	}{
		{"no From anywhere", Message{To: "ada@acme.example", Subject: "x"}, true},
		{"bad To", Message{From: "a@b.example", To: "ada", Subject: "x"}, true},
		{"header injection", Message{From: "a@b.example", To: "ada@acme.example", Subject: "x\r\nBcc: eve@evil.example"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Send(context.Background(), tt.msg)
			if err == nil || IsPermanent(err) != tt.wantPermanent || !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("Send() = %v (permanent %v), want a permanent ErrInvalidMessage", err, IsPermanent(err))
			}
		})
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Send(ctx, Message{From: "a@b.example", To: "ada@acme.example"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Send(cancelled) = %v, want context.Canceled", err)
	}
}

func TestLogSenderNamesFilesApart(t *testing.T) {
	dir := t.TempDir()
	s := NewLogSender(dir, "noreply@localhost", slog.New(slog.NewTextHandler(io.Discard, nil)))
	for range 3 {
		if err := s.Send(context.Background(), Message{To: "ada@acme.example", Subject: "x", Text: "y"}); err != nil {
			t.Fatal(err)
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "mail", "*.eml"))
	if err != nil || len(files) != 3 {
		t.Errorf("files = %v (%v), want 3 (a generated id per message without one)", files, err)
	}
}
