package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/postgres"
	"github.com/idbridge/idbridge/store/sqlite"
)

// migrator is a backend whose schema can be brought up to date.
type migrator interface {
	store.Backend
	Migrate(ctx context.Context) error
}

// OpenBackend opens (and migrates) the database cfg names: PostgreSQL when
// DatabaseURL is set, else SQLite in DataDir.
func OpenBackend(ctx context.Context, cfg config.Config, log *slog.Logger) (store.Backend, error) {
	var b migrator
	if url := cfg.DatabaseURL.Reveal(); url != "" {
		db, err := postgres.Open(ctx, url)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		b = db
		log.Info("store.open", "backend", "postgres")
	} else {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
		path := filepath.Join(cfg.DataDir, "idbridge.db")
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
		b = db
		log.Info("store.open", "backend", "sqlite", "path", path)
	}
	if err := b.Migrate(ctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return b, nil
}

// OpenStore opens the backend and returns the Store over it.
func OpenStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.Store, error) {
	b, err := OpenBackend(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	return store.New(b, store.Options{BaseURL: cfg.BaseURL}), nil
}
