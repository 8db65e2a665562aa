package main

import (
	"fmt"
	"log/slog"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/server"
)

func cmdServe(e env, args []string) error {
	cfg, err := config.Load(args, e.getenv)
	if err != nil {
		return err
	}
	log := server.NewLogger(e.stderr, cfg.Level())
	log.Info("config", "config", cfg)
	st, err := server.OpenStore(e.ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Backend().Close()
	// The operator CLI builds its links from this URL (see openStore).
	if err := st.RecordBaseURL(e.ctx, cfg.BaseURL); err != nil {
		return fmt.Errorf("record the base URL: %w", err)
	}
	return server.New(cfg, st, log, nil).Run(e.ctx, nil)
}

func cmdMigrate(e env, args []string) error {
	fs := flags("migrate", e)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	st, err := server.OpenStore(e.ctx, cfg, server.NewLogger(e.stderr, slog.LevelWarn)) // creates and migrates
	if err != nil {
		return err
	}
	st.Backend().Close()
	fmt.Fprintln(e.stdout, "migrations applied")
	return nil
}
