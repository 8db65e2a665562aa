package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/web"
)

// Support's verbs over an org's users: the admin console's, through the same
// store calls, with platform support as the actor.

// queryFlags are the search, filter and sort flags of user list and export,
// read by the admin API's own parser.
type queryFlags struct {
	q, sort, order               *string
	status, types, subscriptions multi
}

func addQueryFlags(fs *flag.FlagSet) *queryFlags {
	qf := &queryFlags{
		q:     fs.String("q", "", "part of a name or email"),
		sort:  fs.String("sort", "", "name, email, status, type, subscription or lastSignIn (default: by id)"),
		order: fs.String("order", "", "asc or desc"),
	}
	fs.Var(&qf.status, "status", "active, pending, inactive or disabled (repeatable, or comma-separated)")
	fs.Var(&qf.types, "type", "system_admin or user (repeatable)")
	fs.Var(&qf.subscriptions, "subscription", "none, contributor, professional or supervision (repeatable)")
	return qf
}

func (qf *queryFlags) query() (store.MemberQuery, error) {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("q", *qf.q)
	set("sort", *qf.sort)
	set("order", *qf.order)
	v["status"], v["type"], v["subscription"] = qf.status, qf.types, qf.subscriptions
	q, err := web.ParseUserQuery(v)
	if err != nil {
		return q, usageError{err.Error()}
	}
	return q, nil
}

func cmdUserList(e env, args []string) error {
	fs := flags("user list", e)
	org := fs.String("org", "", "organization id")
	qf := addQueryFlags(fs)
	limit := fs.Int("limit", 50, "users per page (1 to 1000)")
	cursor := fs.String("cursor", "", "the next-page cursor a previous list printed")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseArgs(fs, args, "org"); err != nil {
		return err
	}
	q, err := qf.query()
	if err != nil {
		return err
	}
	if *limit < 1 || *limit > store.MaxPageSize {
		return usageError{fmt.Sprintf("--limit must be between 1 and %d", store.MaxPageSize)}
	}
	q.Limit = *limit
	st, done, err := openStore(e)
	if err != nil {
		return err
	}
	defer done()
	p, err := st.ListMembersPage(e.ctx, *org, q, *cursor)
	if err != nil {
		return err
	}
	users := make([]map[string]any, len(p.Members))
	for i, m := range p.Members {
		users[i] = memberJSON(m)
	}
	return output(e, *asJSON, map[string]any{"users": users, "total": p.Total, "nextCursor": p.Next}, func(w io.Writer) {
		tw := newTable(w, "ID\tEMAIL\tNAME\tSTATUS\tTYPE\tSUBSCRIPTION\tREPORTS")
		for _, m := range p.Members {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Account.ID, m.Account.Email,
				m.Account.GivenName+" "+m.Account.FamilyName, m.Status(), m.Membership.UserType, m.Membership.Subscription, m.Membership.ReportsRole)
		}
		tw.Flush()
		fmt.Fprintf(w, "%d of %d users", len(p.Members), p.Total)
		if p.Next != "" {
			fmt.Fprintf(w, "; next page: --cursor %s", p.Next)
		}
		fmt.Fprintln(w)
	})
}

// memberVerb is what a support verb on one member of one org works with.
type memberVerb struct {
	st     *store.Store
	org    string
	m      store.Member
	asJSON bool
}

// runMemberVerb declares --org, --id, --email and --json, and the flags
// extra adds; parses args, finds the org's member and runs do on it.
func runMemberVerb(e env, name string, args []string, extra func(*flag.FlagSet), do func(v memberVerb) error) error {
	fs := flags(name, e)
	org, id, email := fs.String("org", "", "organization id"), fs.String("id", "", "account id"), fs.String("email", "", "account email")
	asJSON := fs.Bool("json", false, "print JSON")
	if extra != nil {
		extra(fs)
	}
	st, done, a, err := openAccount(e, fs, args, id, email, "org")
	if err != nil {
		return err
	}
	defer done()
	m, err := st.GetMember(e.ctx, *org, a.ID)
	if err != nil {
		return fmt.Errorf("member %s of org %s: %w", cmp.Or(*id, *email), *org, err)
	}
	return do(memberVerb{st: st, org: *org, m: m, asJSON: *asJSON})
}

func cmdUserShow(e env, args []string) error {
	return runMemberVerb(e, "user show", args, nil, func(mv memberVerb) error { return showMember(e, mv) })
}

func showMember(e env, mv memberVerb) error {
	d, err := mv.st.GetMemberDetails(e.ctx, mv.org, mv.m.Account.ID)
	if err != nil {
		return err
	}
	v := memberJSON(d.Member)
	v["invitedAt"], v["activatedAt"], v["disabled"] = d.Member.Membership.InvitedAt, d.Member.Account.ActivatedAt, d.Member.Membership.Disabled
	groups := make([]map[string]any, len(d.Groups))
	for i, g := range d.Groups {
		groups[i] = map[string]any{"id": g.ID, "displayName": g.DisplayName}
		if i < len(d.GroupRoles) {
			groups[i]["role"] = d.GroupRoles[i]
		}
	}
	signIns := make([]map[string]any, len(d.SignIns))
	for i, s := range d.SignIns {
		signIns[i] = map[string]any{"at": s.At, "method": s.Method, "connectionId": s.ConnectionID}
	}
	v["groups"], v["signIns"] = groups, signIns
	return output(e, mv.asJSON, v, func(w io.Writer) {
		tw := newTable(w, "")
		for _, kv := range [][2]string{{"UID", d.Member.Account.ID}, {"Email", d.Member.Account.Email},
			{"Name", d.Member.Account.GivenName + " " + d.Member.Account.FamilyName}, {"Status", string(d.Member.Status())},
			{"User type", string(d.Member.Membership.UserType)}, {"Subscription", string(d.Member.Membership.Subscription)},
			{"Reports role", string(d.Member.Membership.ReportsRole)}, {"Invited", when(d.Member.Membership.InvitedAt)},
			{"Activated", when(d.Member.Account.ActivatedAt)}} {
			fmt.Fprintf(tw, "%s\t%s\n", kv[0], kv[1])
		}
		for _, g := range d.Groups {
			fmt.Fprintf(tw, "Group\t%s\n", g.DisplayName)
		}
		for _, s := range d.SignIns {
			fmt.Fprintf(tw, "Sign-in\t%s %s\n", s.At.UTC().Format(time.RFC3339), s.Method)
		}
		tw.Flush()
	})
}

func when(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func cmdUserUpdate(e env, args []string) error {
	var userType, sub, reports, disabled *string
	extra := func(fs *flag.FlagSet) {
		userType = fs.String("type", "", "system_admin or user")
		sub = fs.String("subscription", "", "none, contributor, professional or supervision")
		reports = fs.String("reports-role", "", "no_access, viewer or editor (rule 7)")
		disabled = fs.String("disabled", "", "true or false (rule 13: disabling ends the person's sessions in the org)")
	}
	return runMemberVerb(e, "user update", args, extra, func(mv memberVerb) error {
		var c store.MembershipChange
		if *userType != "" {
			c.UserType = new(store.UserType(*userType))
		}
		if *sub != "" {
			c.Subscription = new(store.Subscription(*sub))
		}
		if *reports != "" {
			c.ReportsRole = new(store.ReportsRole(*reports))
		}
		if *disabled != "" {
			b, err := strconv.ParseBool(*disabled)
			if err != nil {
				return usageError{"--disabled must be true or false"}
			}
			c.Disabled = &b
		}
		if c == (store.MembershipChange{}) {
			return usageError{"nothing to change: give --type, --subscription, --reports-role or --disabled"}
		}
		m, err := mv.st.UpdateMember(e.ctx, supportActor(e), mv.org, mv.m.Account.ID, store.MemberUpdate{MembershipChange: c})
		if err != nil {
			return err
		}
		return output(e, mv.asJSON, memberJSON(m), func(w io.Writer) {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", m.Account.ID, m.Account.Email, m.Membership.UserType, m.Membership.Subscription, m.Membership.ReportsRole)
		})
	})
}

func cmdUserInvite(e env, args []string) error {
	return runMemberVerb(e, "user invite", args, nil, func(mv memberVerb) error {
		if err := requireLinkBase(e, mv.st); err != nil {
			return err
		}
		m, err := mv.st.Invite(e.ctx, supportActor(e), mv.org, mv.m.Account.ID)
		if err != nil {
			return err
		}
		return output(e, mv.asJSON, memberJSON(m), func(w io.Writer) { fmt.Fprintf(w, "invitation sent to %s\n", m.Account.Email) })
	})
}

func cmdUserRemove(e env, args []string) error {
	return runMemberVerb(e, "user remove", args, nil, func(mv memberVerb) error {
		m := mv.m
		if err := mv.st.RemoveMember(e.ctx, supportActor(e), mv.org, m.Account.ID); err != nil {
			return err
		}
		return output(e, mv.asJSON, map[string]any{"removed": m.Account.ID, "orgId": mv.org}, func(w io.Writer) {
			fmt.Fprintf(w, "removed %s (%s) from the organization; the account stays\n", m.Account.ID, m.Account.Email)
		})
	})
}

func cmdUserExport(e env, args []string) error {
	fs := flags("user export", e)
	org := fs.String("org", "", "organization id")
	qf := addQueryFlags(fs)
	out := fs.String("out", "", `file to write (default "<Org name> Users.xlsx" in the current folder)`)
	if err := parseArgs(fs, args, "org"); err != nil {
		return err
	}
	q, err := qf.query()
	if err != nil {
		return err
	}
	st, done, err := openStore(e)
	if err != nil {
		return err
	}
	defer done()
	f, name, err := web.ExportUsers(e.ctx, st, *org, q)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	path := cmp.Or(*out, name)
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := f.WriteTo(fh); err != nil {
		fh.Close()
		return fmt.Errorf("export: %w", err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintln(e.stdout, path)
	return nil
}
