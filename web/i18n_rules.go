package web

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/idbridge/idbridge/store"
)

// The Italian of the rules' refusal sentences. The store writes them in
// English (store.RuleError's Detail, from a template and its arguments); an
// Italian page finds the template the sentence was made from, takes the
// arguments out of it, and puts them into the Italian template. Each
// template here is the store's, verb for verb (TestItalianRules checks
// every refuse(...) of package store has its Italian).

// ruleItalian is one refusal template and its Italian, with the same
// verbs (%s, %d, %q) in the same order.
type ruleItalian struct {
	Rule    store.Rule
	English string
	Italian string
}

var ruleItalians = []ruleItalian{
	{store.RuleSSOEmailLocked, "This person also belongs to an organization outside your company that signs in through SSO; while SSO is enabled there, the email comes from its identity provider. Contact support.",
		"Questa persona appartiene anche a un'organizzazione esterna alla tua azienda che accede tramite SSO; finché lì l'SSO è attivo, l'e-mail viene dal suo identity provider. Contatta l'assistenza."},
	{store.RuleSSOEmailLocked, "Disable SSO for %s before changing this email: while SSO is enabled the email comes from the identity provider.",
		"Disattiva l'SSO per %s prima di cambiare questa e-mail: finché l'SSO è attivo, l'e-mail viene dall'identity provider."},
	{store.RuleEmailSyntax, "An email address is required.", "È necessario un indirizzo e-mail."},
	{store.RuleEmailSyntax, "The email address is longer than %d characters.", "L'indirizzo e-mail è più lungo di %d caratteri."},
	{store.RuleEmailSyntax, "The email address %q may contain only unaccented Latin letters, digits and punctuation, with no spaces.",
		"L'indirizzo e-mail %q può contenere solo lettere latine non accentate, cifre e punteggiatura, senza spazi."},
	{store.RuleEmailSyntax, "%q is not a valid email address.", "%q non è un indirizzo e-mail valido."},
	{store.RuleEmailSyntax, "%q is not a valid email address: the domain needs a dot.", "%q non è un indirizzo e-mail valido: il dominio deve contenere un punto."},
	{store.RuleEmailManyOrgs, "This person belongs to %d organizations; only platform support can change their email. Contact support.",
		"Questa persona appartiene a %d organizzazioni; solo l'assistenza della piattaforma può cambiarne l'e-mail. Contatta l'assistenza."},
	{store.RuleEmailOtherCompany, "This person also belongs to an organization outside your company; contact support to change their email.",
		"Questa persona appartiene anche a un'organizzazione esterna alla tua azienda; contatta l'assistenza per cambiarne l'e-mail."},
	{store.RuleReportsRole, "The reports role %s needs a professional or supervision subscription; set the reports role to no access in the same change.",
		"Il ruolo report %s richiede una sottoscrizione professional o supervision; imposta il ruolo report su nessun accesso nella stessa modifica."},
	{store.RuleSubscriptionAdmins, "System admins cannot change their own subscription; ask another system admin.",
		"Gli amministratori di sistema non possono cambiare la propria sottoscrizione; chiedi a un altro amministratore di sistema."},
	{store.RuleSubscriptionAdmins, "This is the organization's last enabled system admin; make another person a system admin first.",
		"Questo è l'ultimo amministratore di sistema attivo dell'organizzazione; prima rendi amministratore di sistema un'altra persona."},
	{store.RuleNames, "Only the person can change their own name, from their profile.", "Solo la persona può cambiare il proprio nome, dal suo profilo."},
	{store.RuleInvitations, "%s signs in through SSO, so no invitation is sent; the person signs in through the identity provider.",
		"%s accede tramite SSO, quindi non viene inviato alcun invito; la persona accede tramite l'identity provider."},
	{store.RuleInvitations, "This user is disabled; enable them before sending an invitation.", "Questo utente è disattivato; riattivalo prima di inviare un invito."},
	{store.RuleInvitations, "This account is already active; no invitation is needed.", "Questo account è già attivo; non serve alcun invito."},
	{store.RuleLockout, "This account is locked after %d failed sign-ins. Use \"Forgot password\" to get a reset link by email.",
		"Questo account è bloccato dopo %d accessi non riusciti. Usa \"Password dimenticata\" per ricevere via e-mail un link di reimpostazione."},
	{store.RulePasswordSignIn, "%s signs in through SSO: enter your company domain to continue with your identity provider.",
		"%s accede tramite SSO: inserisci il dominio della tua azienda per continuare con il tuo identity provider."},
	{store.RuleSSOTested, "SSO is enabled with %q; disable SSO before changing its settings.", "L'SSO è attivo con %q; disattiva l'SSO prima di modificarne le impostazioni."},
	{store.RuleSSOTested, "SSO is enabled with %q; disable SSO before removing it.", "L'SSO è attivo con %q; disattiva l'SSO prima di rimuoverla."},
	{store.RuleSSOTested, "Run a successful test sign-in with %q before enabling SSO, so nobody is locked out.",
		"Esegui un accesso di prova riuscito con %q prima di attivare l'SSO, così nessuno resta bloccato fuori."},
}

// verbs are the formatting verbs the templates use.
var verbs = regexp.MustCompile(`%[sdq]`)

// ruleMatcher finds the template of an English refusal sentence.
type ruleMatcher struct {
	re      *regexp.Regexp
	italian string // the Italian template with every verb as %s
}

var ruleMatchers = func() []ruleMatcher {
	out := make([]ruleMatcher, len(ruleItalians))
	for i, t := range ruleItalians {
		parts := verbs.Split(t.English, -1)
		for j := range parts {
			parts[j] = regexp.QuoteMeta(parts[j])
		}
		// The arguments as written: %q's quotes stay in the text, so %s puts
		// them back as they were. sentence() may have capitalized the first
		// letter of a leading argument.
		out[i] = ruleMatcher{re: regexp.MustCompile(`^` + strings.Join(parts, `(.+?)`) + `$`), italian: verbs.ReplaceAllString(t.Italian, "%s")}
	}
	return out
}()

// trRule is s in lang: the Italian of a refusal sentence of the rules, or
// s itself (in English, or when it is no refusal of theirs).
func trRule(lang, s string) string {
	if lang != "it" || s == "" {
		return s
	}
	for _, m := range ruleMatchers {
		if g := m.re.FindStringSubmatch(s); g != nil {
			args := make([]any, len(g)-1)
			for i, a := range g[1:] {
				args[i] = a
			}
			return fmt.Sprintf(m.italian, args...)
		}
	}
	return s
}
