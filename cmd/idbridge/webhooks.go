package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/idbridge/idbridge/store"
)

// Webhook commands of platform support: endpoints the platform's events are
// POSTed to, signed (package events).

func webhookJSON(w store.Webhook) map[string]any {
	return map[string]any{"id": w.ID, "url": w.URL, "orgId": w.OrgID, "types": nonNil(w.Types),
		"createdAt": w.CreatedAt, "cursor": w.Cursor.String(), "attempts": w.Attempts, "nextAttempt": w.NextAttempt,
		"lastError": w.LastError}
}

func webhookScope(w store.Webhook) (org, types string) {
	org, types = w.OrgID, strings.Join(w.Types, ",")
	if org == "" {
		org = "platform-wide"
	}
	if types == "" {
		types = "all events"
	}
	return org, types
}

func cmdWebhookCreate(e env, args []string) error {
	fs := flags("webhook create", e)
	url := fs.String("url", "", "the endpoint (https)")
	org := fs.String("org", "", "only this organization's events (default: platform-wide)")
	types := fs.String("events", "", "comma-separated event types (default: all)")
	asJSON := fs.Bool("json", false, "print JSON")
	st, done, err := openWith(e, fs, args, "url")
	if err != nil {
		return err
	}
	defer done()
	w, err := st.CreateWebhook(e.ctx, supportActor(e), *org, *url, store.SplitTypes(*types))
	if err != nil {
		return err
	}
	v := webhookJSON(w)
	v["secret"] = w.Secret
	return output(e, *asJSON, v, func(out io.Writer) {
		o, t := webhookScope(w)
		fmt.Fprintf(out, "id:       %s\nurl:      %s\norg:      %s\nevents:   %s\n", w.ID, w.URL, o, t)
		fmt.Fprintf(out, "secret:   %s\n          (shown once: verify the Idbridge-Signature header with it)\n", w.Secret)
	})
}

func cmdWebhookList(e env, args []string) error {
	fs := flags("webhook list", e)
	asJSON := fs.Bool("json", false, "print JSON")
	st, done, err := openWith(e, fs, args)
	if err != nil {
		return err
	}
	defer done()
	ws, err := st.ListWebhooks(e.ctx)
	if err != nil {
		return err
	}
	return printList(e, *asJSON, ws, webhookJSON, "ID\tURL\tORG\tEVENTS\tATTEMPTS\tLAST_ERROR", func(w store.Webhook) string {
		o, t := webhookScope(w)
		return strings.Join([]string{w.ID, w.URL, o, t, fmt.Sprint(w.Attempts), w.LastError}, "\t")
	})
}

func cmdWebhookDelete(e env, args []string) error {
	fs := flags("webhook delete", e)
	id := fs.String("id", "", "the webhook id")
	asJSON := fs.Bool("json", false, "print JSON")
	st, done, err := openWith(e, fs, args, "id")
	if err != nil {
		return err
	}
	defer done()
	if err := st.DeleteWebhook(e.ctx, supportActor(e), *id); err != nil {
		return fmt.Errorf("webhook %s: %w", *id, err)
	}
	return output(e, *asJSON, map[string]any{"id": *id, "deleted": true}, func(w io.Writer) {
		fmt.Fprintf(w, "webhook %s deleted\n", *id)
	})
}
