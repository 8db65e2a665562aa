// Package events serves the event feed (GET /api/events) to the platform's
// applications and delivers signed webhooks. An app verifies a delivery
// with VerifySignature.
package events

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries a delivery's signature:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>".
const SignatureHeader = "Idbridge-Signature"

// Sign returns the signature header value of body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte("."))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Errors of VerifySignature.
var (
	ErrSignatureMalformed = errors.New("events: malformed signature header")
	ErrSignatureMismatch  = errors.New("events: no signature matches the body")
	ErrSignatureTooOld    = errors.New("events: signature timestamp outside the tolerance")
)

// VerifySignature checks the Idbridge-Signature header of a delivery against
// its raw body and the endpoint's secret: one of its v1 signatures must be
// the HMAC-SHA256 of "<t>.<body>", and t within tolerance of now (0: not
// checked; 5 minutes is a good value), which limits replays.
func VerifySignature(secret, header string, body []byte, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrSignatureMalformed
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrSignatureMalformed
	}
	if tolerance > 0 {
		if d := time.Since(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
			return ErrSignatureTooOld
		}
	}
	want := []byte(mac(secret, ts, body))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return ErrSignatureMismatch
}
