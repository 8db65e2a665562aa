package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/postgres"
	"github.com/idbridge/idbridge/store/sqlite"
)

// env is what every command gets: the streams, the environment and the context.
type env struct {
	ctx    context.Context
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// usageError is a wrong command line: exit 2 with the usage.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

type command struct {
	summary string
	run     func(e env, args []string) error
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"serve":             {"run the HTTP server (migrates first)", cmdServe},
		"migrate":           {"apply database migrations and exit", cmdMigrate},
		"company create":    {"--name N: create a company", cmdCompanyCreate},
		"company list":      {"list companies", cmdCompanyList},
		"org create":        {"--company ID --name N --domain D [--domain D2] [--slug S]: create an organization", cmdOrgCreate},
		"org list":          {"[--company ID]: list organizations", cmdOrgList},
		"scim-token create": {"--org ORG [--name N]: create a SCIM token (printed once)", cmdTokenCreate},
		"scim-token list":   {"--org ORG: list an org's SCIM tokens", cmdTokenList},
		"scim-token revoke": {"--org ORG --id ID: revoke a SCIM token at once", cmdTokenRevoke},
		"loadtest scim":     {"--url U --token T [--users N --groups G --workers W]: replay an Entra initial sync and time it", cmdLoadtestSCIM},
		"bench scim":        {"[--users N --full --clients C --seconds S --db URL]: pgbench and the SCIM load on one PostgreSQL, as ratios", cmdBenchSCIM},
		"bench users":       {"[--members N --export M --full --db URL]: the admin Users API (list, search, export) at an org of N members on PostgreSQL", cmdBenchUsers},
		"user add":          {"--org ORG --email E [--given G --family F --type user|system_admin --invite]: add a member", cmdUserAdd},
		"user unlock":       {"--email E | --id ID: clear a password lockout", cmdUserUnlock},
		"user set-email":    {"--id ID | --email OLD --new-email NEW [--org ORG]: change a sign-in email as support", cmdUserSetEmail},
		"user list":         {"--org ORG [--q S --status S --type T --subscription S --sort COL --order asc|desc --limit N --cursor C]: list an org's users", cmdUserList},
		"user show":         {"--org ORG --id ID | --email E: a user's details, groups and last sign-ins", cmdUserShow},
		"user update":       {"--org ORG --id ID | --email E [--type T --subscription S --reports-role R --disabled true|false]: change a user's access (rules 6, 7, 13)", cmdUserUpdate},
		"user invite":       {"--org ORG --id ID | --email E: send or resend the invitation (rule 9)", cmdUserInvite},
		"user remove":       {"--org ORG --id ID | --email E: remove a user from the org (the account stays)", cmdUserRemove},
		"user export":       {"--org ORG [the list's filters] [--out FILE]: write the matching users to <Org name> Users.xlsx", cmdUserExport},
		"sso enable":        {"--org ORG --connection ID: turn SSO on with a tested connection", cmdSSOEnable},
		"sso disable":       {"--org ORG: turn SSO off (members use their password or \"forgot password\")", cmdSSODisable},
		"connection list":   {"--org ORG: list an org's SSO connections", cmdConnectionList},
		"connection create": {"--org ORG --kind saml|oidc --name N [--settings JSON | --settings-file F]: add a connection", cmdConnectionCreate},
		"connection update": {"--org ORG --id ID [--name N] [--settings JSON | --settings-file F]: change a connection", cmdConnectionUpdate},
		"connection delete": {"--org ORG --id ID: remove a connection (not the one SSO is enabled with)", cmdConnectionDelete},
		"app create":        {"--name N --redirect-uri U [--redirect-uri U2] [--post-logout-redirect-uri U] [--public] [--org ORG ...]: register an app (client secret printed once)", cmdAppCreate},
		"app list":          {"list the registered apps", cmdAppList},
		"app show":          {"--id CLIENT_ID: show an app", cmdAppShow},
		"app rotate-secret": {"--id CLIENT_ID: give an app a new client secret (printed once)", cmdAppRotateSecret},
		"app delete":        {"--id CLIENT_ID: remove an app and revoke its tokens", cmdAppDelete},
		"webhook create":    {"--url U [--org ORG] [--events a,b]: add a webhook endpoint (secret printed once)", cmdWebhookCreate},
		"webhook list":      {"list the webhook endpoints", cmdWebhookList},
		"webhook delete":    {"--id ID: remove a webhook endpoint", cmdWebhookDelete},
	}
}

// run executes one command line and returns the exit code: 0 success, 1
// failure (one line on stderr), 2 usage.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	e := env{ctx: ctx, getenv: getenv, stdout: stdout, stderr: stderr}
	name, rest := pickCommand(args)
	if name == "" {
		usage(stderr)
		if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			return 0
		}
		fmt.Fprintf(stderr, "idbridge: unknown command %q\n", strings.Join(args, " "))
		return 2
	}
	err := commands[name].run(e, rest)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		if name == "serve" {
			config.Usage(stdout)
		} else {
			fmt.Fprintf(stdout, "usage: idbridge %s %s\n", name, commands[name].summary)
		}
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "idbridge %s: %s\nusage: idbridge %s %s\n", name, ue.msg, name, commands[name].summary)
		return 2
	case errors.As(err, new(*config.ValidationError)):
		fmt.Fprintf(stderr, "idbridge %s: %s\n", name, err) // one line per problem
		return 1
	default:
		fmt.Fprintf(stderr, "idbridge %s: %s\n", name, oneLine(err))
		return 1
	}
}

func pickCommand(args []string) (string, []string) {
	if len(args) >= 2 {
		if _, ok := commands[args[0]+" "+args[1]]; ok {
			return args[0] + " " + args[1], args[2:]
		}
	}
	if len(args) >= 1 {
		if _, ok := commands[args[0]]; ok {
			return args[0], args[1:]
		}
	}
	return "", nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "idbridge: SCIM 2.0 provisioning and SAML/OIDC single sign-on for a SaaS platform.\n\nCommands (add --json to print JSON; run `idbridge serve -h` for settings):")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, n := range names {
		fmt.Fprintf(tw, "  %s\t%s\n", n, commands[n].summary)
	}
	tw.Flush()
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// loadConfig reads the configuration from the environment only (operator
// commands take their own flags) and validates it.
func loadConfig(e env) (config.Config, error) {
	cfg, err := config.Load(nil, e.getenv)
	if err != nil {
		return cfg, err
	}
	return cfg, nil
}

// openStore opens the existing, migrated database of the configuration for
// an operator command. It never creates one (only serve and migrate do): a
// CLI run from another folder, or with another IDBRIDGE_DATA_DIR, would
// otherwise make an empty database and answer "not found". Its links use
// IDBRIDGE_BASE_URL when set, else the base URL serve recorded (linkBaseURL).
func openStore(e env) (*store.Store, func(), error) {
	cfg, err := loadConfig(e)
	if err != nil {
		return nil, nil, err
	}
	b, err := openExisting(e, cfg)
	if err != nil {
		return nil, nil, err
	}
	base, err := linkBaseURL(e, store.New(b, store.Options{}))
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	return store.New(b, store.Options{BaseURL: base}), func() { b.Close() }, nil
}

// openExisting opens the database cfg names and checks that it is migrated,
// without creating or migrating anything.
func openExisting(e env, cfg config.Config) (store.Backend, error) {
	var b store.Backend
	where := "PostgreSQL (IDBRIDGE_DATABASE_URL)"
	if url := cfg.DatabaseURL.Reveal(); url != "" {
		db, err := postgres.Open(e.ctx, url)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		b = db
	} else {
		path, err := filepath.Abs(filepath.Join(cfg.DataDir, "idbridge.db"))
		if err != nil {
			return nil, err
		}
		where = path
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no database at %s: start `idbridge serve` or run `idbridge migrate` first (or set IDBRIDGE_DATA_DIR or IDBRIDGE_DATABASE_URL as serve has them)", path)
		}
		db, err := sqlite.Open(e.ctx, path)
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
		b = db
	}
	if err := b.Ready(e.ctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("database at %s is not ready (%v): start `idbridge serve` or run `idbridge migrate` first", where, err)
	}
	return b, nil
}

// errNoBaseURL refuses to make a link nobody could open.
var errNoBaseURL = errors.New("no base URL for the links: start `idbridge serve` once (it records its IDBRIDGE_BASE_URL in the database), or set IDBRIDGE_BASE_URL to the server's public URL")

// linkBaseURL is the base of the links the CLI's commands send: the
// IDBRIDGE_BASE_URL given to the CLI, else the one serve recorded, else "".
func linkBaseURL(e env, st *store.Store) (string, error) {
	if u := strings.TrimRight(e.getenv("IDBRIDGE_BASE_URL"), "/"); u != "" {
		return u, nil
	}
	return st.RecordedBaseURL(e.ctx)
}

// requireLinkBase refuses a command that would mail a link nobody could open.
func requireLinkBase(e env, st *store.Store) error {
	if base, err := linkBaseURL(e, st); err != nil || base == "" {
		return cmp.Or(err, errNoBaseURL)
	}
	return nil
}

// output prints v as JSON with --json, else as the text fn writes.
func output(e env, asJSON bool, v any, text func(w io.Writer)) error {
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(e.stdout)
	return nil
}

// printList prints items as a JSON array of view(item) with --json, else as a
// table: header, then row(item) per line (tab-separated columns).
func printList[T any](e env, asJSON bool, items []T, view func(T) map[string]any, header string, row func(T) string) error {
	out := make([]map[string]any, len(items))
	for i, it := range items {
		out[i] = view(it)
	}
	return output(e, asJSON, out, func(w io.Writer) {
		tw := newTable(w, header)
		for _, it := range items {
			fmt.Fprintln(tw, row(it))
		}
		tw.Flush()
	})
}

// newTable is a tab-separated table on w, with its header line unless "".
func newTable(w io.Writer, header string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if header != "" {
		fmt.Fprintln(tw, header)
	}
	return tw
}

// flags builds a FlagSet that reports usage errors instead of exiting.
func flags(name string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// parseArgs parses args and checks that the named flags were given.
func parseArgs(fs *flag.FlagSet, args []string, required ...string) error {
	if err := parse(fs, args); err != nil {
		return err
	}
	for _, n := range required {
		if fs.Lookup(n).Value.String() == "" {
			return usageError{"--" + n + " is required"}
		}
	}
	return nil
}

// openWith parses args, checks the required flags and opens the store.
func openWith(e env, fs *flag.FlagSet, args []string, required ...string) (*store.Store, func(), error) {
	if err := parseArgs(fs, args, required...); err != nil {
		return nil, nil, err
	}
	return openStore(e)
}

// multi is a repeatable string flag that also splits on commas.
type multi []string

func (m *multi) String() string { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*m = append(*m, p)
		}
	}
	return nil
}

func supportActor(e env) store.Actor {
	name := e.getenv("USER")
	if name == "" {
		name = "operator"
	}
	return store.SupportActor("cli:" + name)
}
