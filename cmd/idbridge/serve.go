package main

import (
	"fmt"

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
	return server.New(cfg, st, log, nil).Run(e.ctx, nil)
}

func cmdMigrate(e env, args []string) error {
	fs := flags("migrate", e)
	if err := parse(fs, args); err != nil {
		return err
	}
	st, closeStore, err := openStore(e)
	if err != nil {
		return err
	}
	defer closeStore()
	fmt.Fprintln(e.stdout, "migrations applied")
	_ = st
	return nil
}
