package store

import (
	"context"
	"strings"
	"time"
)

// settingBaseURL names the public URL `idbridge serve` runs at.
const settingBaseURL = "base_url"

// RecordBaseURL records the public URL the service runs at (`idbridge serve`
// does at start), so that the operator CLI, run with another configuration,
// builds its links (invitations) from it.
func (s *Store) RecordBaseURL(ctx context.Context, baseURL string) error {
	return s.write(ctx, func(tx Tx, now time.Time) error {
		return tx.PutSetting(ctx, settingBaseURL, strings.TrimRight(baseURL, "/"), now)
	})
}

// RecordedBaseURL is the URL the last RecordBaseURL recorded, "" when none.
func (s *Store) RecordedBaseURL(ctx context.Context) (u string, err error) {
	err = s.read(ctx, func(tx Tx) error { u, err = tx.GetSetting(ctx, settingBaseURL); return err })
	if isNotFound(err) {
		return "", nil
	}
	return u, err
}
