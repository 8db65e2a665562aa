package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The pages' languages: English, and Italian (the source documents'). One
// catalogue: the English text is the key, italian holds its translation;
// a key without one shows in English (TestItalianCatalogue finds them).

// langCookie keeps the language picked with the switcher.
const langCookie = "idb_lang"

var languages = []string{"en", "it"}

// langOf is the language of a request: the switcher's cookie, else the
// first of Accept-Language's languages (by q) that is served, else English.
func langOf(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "en" || c.Value == "it") {
		return c.Value
	}
	best, bestQ := "en", 0.0
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if (base == "en" || base == "it") && q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}

// tr translates key into lang, then formats it with args when there are any.
func tr(lang, key string, args ...any) string {
	s := key
	if lang == "it" {
		if v, ok := italian[key]; ok {
			s = v
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// number formats n with the language's thousands separator.
func number(lang string, n int) string {
	s := strconv.Itoa(n)
	sep := ","
	if lang == "it" {
		sep = "."
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// when formats a time for the language, in UTC; "" for never.
func when(lang string, t any) string {
	var v time.Time
	switch x := t.(type) {
	case time.Time:
		v = x
	case *time.Time:
		if x == nil {
			return ""
		}
		v = *x
	}
	if v.IsZero() {
		return ""
	}
	if lang == "it" {
		return v.UTC().Format("02/01/2006 15:04") + " UTC"
	}
	return v.UTC().Format("Jan 2, 2006 15:04") + " UTC"
}

// setLang is the switcher: it keeps the language in a cookie for a year and
// goes back to the page.
func (w *Web) setLang(rw http.ResponseWriter, r *http.Request) {
	if !w.form(rw, r) {
		return
	}
	l := r.PostFormValue("lang")
	if l != "en" && l != "it" {
		w.render(rw, r, http.StatusBadRequest, "message", page{Title: "Bad request", Error: "Choose English or Italiano."})
		return
	}
	http.SetCookie(rw, &http.Cookie{Name: langCookie, Value: l, Path: "/", HttpOnly: true, Secure: w.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
	http.Redirect(rw, r, orDefault(safeReturnTo(r.PostFormValue("return_to")), "/"), http.StatusSeeOther)
}

// italian translates the pages' English texts.
var italian = map[string]string{
	"Manage the users of %s":                       "Gestisci gli utenti di %s",
	"Work email or company domain":                 "E-mail di lavoro o dominio dell'azienda",
	"For example jane@example.com or example.com.": "Per esempio jane@example.com o example.com.",
	"Continue":              "Continua",
	"Forgot your username?": "Hai dimenticato il tuo nome utente?",
	"Sign in to":            "Accedi a",
	"Never set a password, or forgot it? Use": "Non hai mai impostato una password o l'hai dimenticata? Usa",
	"Forgot password":                         "Password dimenticata",
	"to get a link by email.":                 "per ricevere un link via e-mail.",
	"Sign in":                                 "Accedi",
	"Forgot password?":                        "Hai dimenticato la password?",
	"Use another email or domain":             "Usa un'altra e-mail o un altro dominio",
	"Choose how to sign in to":                "Scegli come accedere a",
	"We email a link to choose a new password. It also unlocks a locked account.": "Ti inviamo via e-mail un link per scegliere una nuova password. Sblocca anche un account bloccato.",
	"Send the link":           "Invia il link",
	"Back to sign-in":         "Torna all'accesso",
	"New password":            "Nuova password",
	"At least %d characters.": "Almeno %d caratteri.",
	"New password again":      "Ripeti la nuova password",
	"Set password":            "Imposta la password",
	"Is this your email address? We send it a link to create a new password; the link also unlocks the account.": "È questo il tuo indirizzo e-mail? Gli inviamo un link per creare una nuova password; il link sblocca anche l'account.",
	"Yes, send me a link to create a password": "Sì, crea la password",
	"Your name":                 "Il tuo nome",
	"Save name":                 "Salva il nome",
	"Change password":           "Modifica password",
	"Current password":          "Password attuale",
	"Your name is saved.":       "Il tuo nome è salvato.",
	"Your password is changed.": "La tua password è modificata.",
	"Ask for a new link":        "Chiedi un nuovo link",
	"Bad request":               "Richiesta non valida",
	"Check your email":          "Controlla la tua e-mail",
	"Confirm your email":        "Conferma il tuo indirizzo e-mail",
	"Enter an email address like jane@example.com or a domain like example.com.": "Inserisci un indirizzo e-mail come jane@example.com o un dominio come example.com.",
	"Enter the email address you sign in with.":                                  "Inserisci l'indirizzo e-mail con cui accedi.",
	"Enter your work email or your company's domain.":                            "Inserisci la tua e-mail di lavoro o il dominio della tua azienda.",
	"Link not valid":             "Link non valido",
	"Password set":               "Password impostata",
	"Request refused":            "Richiesta rifiutata",
	"Sign in again":              "Accedi di nuovo",
	"Sign in with your password": "Accedi con la tua password",
	"Sign-in failed":             "Accesso non riuscito",
	"Sign-in unavailable":        "Accesso non disponibile",
	"Signed out":                 "Disconnesso",
	"Test sign-in succeeded":     "Accesso di prova riuscito",
	"This form was sent from another site, so it was refused. Open the page on this site and try again.": "Questo modulo è stato inviato da un altro sito ed è stato rifiutato. Apri la pagina su questo sito e riprova.",
	"Too many attempts":           "Troppi tentativi",
	"You are signed out.":         "Sei disconnesso.",
	"Choose English or Italiano.": "Scegli English o Italiano.",
	"Another account already signs in with this email address.": "Un altro account accede già con questo indirizzo e-mail.",
	"This person is already a user of this organization.":       "Questa persona è già un utente di questa organizzazione.",
	"Something went wrong":          "Si è verificato un problema",
	"%s changed, %s refused.":       "%s modificati, %s rifiutati.",
	"%s is now a user of %s.":       "%s è ora un utente di %s.",
	"%s selected users.":            "%s utenti selezionati.",
	"%s users":                      "%s utenti",
	"(Escape)":                      "(Esc)",
	"(Excel file of this list)":     "(file Excel di questo elenco)",
	"1 selected user.":              "1 utente selezionato.",
	"1 user":                        "1 utente",
	"Access":                        "Accesso",
	"Activated":                     "Attivato",
	"Active":                        "Attivo",
	"Add another user":              "Aggiungi un altro utente",
	"Add user":                      "Aggiungi utente",
	"Added":                         "Aggiunto",
	"All statuses":                  "Tutti gli stati",
	"All subscriptions":             "Tutte le sottoscrizioni",
	"All user types":                "Tutti i tipi di utente",
	"An invitation was sent to %s.": "Un'e-mail d'invito è stata inviata a %s.",
	"Apply changes":                 "Applica modifiche",
	"Back to users":                 "Torna agli utenti",
	"Cancel":                        "Annulla",
	"Change":                        "Modifica",
	"Change the email":              "Modifica e-mail",
	"Change the sign-in email of %s from %s to %s?":                              "Modificare l'e-mail di accesso di %s da %s a %s?",
	"Choose at least one change: a user type, a subscription or a reports role.": "Scegli almeno una modifica: un tipo di utente, una sottoscrizione o un accesso a Rapporti.",
	"Clear search and filters":                                                   "Cancella ricerca e filtri",
	"Console":                                                                    "Console",
	"Contributor":                                                                "Collaboratore",
	"Custom email sender":                                                        "Mittente delle e-mail personalizzato",
	"Disable user":                                                               "Disabilita utente",
	"Disabled":                                                                   "Disabilitato",
	"Download":                                                                   "Scarica",
	"Edit email":                                                                 "Modifica e-mail",
	"Edit email is not available":                                                "Modifica e-mail non disponibile",
	"Edit user types and subscriptions":                                          "Modifica tipi di utenti e sottoscrizioni",
	"Editor":                                                                     "Editor",
	"Email":                                                                      "E-mail",
	"Enable user":                                                                "Abilita utente",
	"Enter the new user's email address.":                                        "Inserisci l'indirizzo e-mail del nuovo utente.",
	"Every user matching the search and filters: %s users.": "Tutti gli utenti che soddisfano la ricerca e i filtri: %s utenti.",
	"Family name": "Cognome",
	"First page":  "Prima pagina",
	"Given name":  "Nome",
	"Groups":      "Gruppi",
	"Inactive":    "Inattivo",
	"Invitation":  "Invito",
	"Invitations, reset links and email-change notices come from this sender. Leave both empty for the default sender.": "Gli inviti, i link per reimpostare la password e gli avvisi di modifica dell'e-mail arrivano da questo mittente. Lascia vuoti entrambi i campi per il mittente predefinito.",
	"Invited":       "Invitato",
	"Language":      "Lingua",
	"Last sign-in":  "Ultimo accesso",
	"Last sign-ins": "Ultimi accessi",
	"Letters without accents only. The person will no longer sign in with the old address, which gets a notice.": "Solo lettere senza accenti. La persona non potrà più accedere con il vecchio indirizzo, che riceve un avviso.",
	"Manager":                      "Responsabile",
	"Member":                       "Membro",
	"Name":                         "Nome",
	"Names":                        "Nomi",
	"Never":                        "Mai",
	"Never signed in.":             "Nessun accesso.",
	"New email":                    "Nuova e-mail",
	"Next page":                    "Pagina successiva",
	"Next: access rights":          "Prossimo step: imposta i diritti di accesso",
	"No access":                    "Nessun accesso",
	"No change":                    "Nessuna modifica",
	"No invitation was sent":       "Nessun invito è stato inviato",
	"No user matches this search.": "Nessun utente corrisponde a questa ricerca.",
	"None":                         "Nessuna",
	"Not in any group.":            "Non appartiene a nessun gruppo.",
	"Not yet":                      "Non ancora",
	"Open the user's details":      "Apri i dettagli dell'utente",
	"Organization":                 "Organizzazione",
	"Pages":                        "Pagine",
	"Password":                     "Password",
	"Pending":                      "In sospeso",
	"Professional":                 "Professionale",
	"Profile":                      "Profilo",
	"Provisioning":                 "Provisioning",
	"Refused because":              "Rifiutato perché",
	"Remove %s":                    "Rimuovi %s",
	"Remove %s (%s) from %s?":      "Rimuovere %s (%s) da %s?",
	"Remove user":                  "Rimuovi utente",
	"Report":                       "Resoconto",
	"Reports role":                 "Accesso a Rapporti",
	"Resend invitation":            "Rinvia invito",
	"Resend invitation to %s":      "Rinvia invito a %s",
	"SCIM base URL":                "URL di base SCIM",
	"SCIM tokens are created and revoked through the admin API (see the README).": "I token SCIM si creano e si revocano tramite l'API di amministrazione (vedi il README).",
	"Save":                    "Salva",
	"Save %s":                 "Salva %s",
	"Save sender":             "Salva mittente",
	"Saved.":                  "Salvato.",
	"Search":                  "Cerca",
	"Search by name or email": "Cerca per nome o e-mail",
	"Select %s":               "Seleziona %s",
	"Select all %s users":     "Seleziona tutti i %s utenti",
	"Select at least one user, or all the users the search finds.":  "Seleziona almeno un utente, o tutti gli utenti trovati dalla ricerca.",
	"Select at most 1000 users, or all the users the search finds.": "Seleziona al massimo 1000 utenti, o tutti gli utenti trovati dalla ricerca.",
	"Select every user on this page":                                "Seleziona tutti gli utenti di questa pagina",
	"Send invitation":                                               "Invia invito",
	"Send invitation to %s":                                         "Invia invito a %s",
	"Sender email":                                                  "E-mail del mittente",
	"Sender name":                                                   "Nome del mittente",
	"Settings":                                                      "Impostazioni",
	"Sign out":                                                      "Esci",
	"Sign-in domains":                                               "Domini di accesso",
	"Single sign-on":                                                "Single sign-on",
	"Something went wrong on our side. Try again in a moment.": "Si è verificato un problema da parte nostra. Riprova tra un momento.",
	"Status":                      "Stato",
	"Step 1 of 2: name and email": "Passo 1 di 2: nome e indirizzo e-mail",
	"Step 2 of 2: access rights":  "Passo 2 di 2: diritti di accesso",
	"Subscription":                "Sottoscrizione",
	"Subscription and roles":      "Sottoscrizione e ruoli",
	"Supervision":                 "Supervisione",
	"System admin":                "Amministratore di sistema",
	"The default reports role is No access; another role needs a Professional or Supervision subscription.": "L'accesso predefinito a Rapporti è Nessun accesso. Occorre una sottoscrizione Professionale o Supervisione per essere assegnato a un ruolo in Rapporti.",
	"The email is changed; a notice went to the old address.":                                               "L'e-mail è aggiornata; un avviso è stato inviato al vecchio indirizzo.",
	"The email sender is saved.":                         "Il mittente delle e-mail è salvato.",
	"The form could not be read. Go back and try again.": "Non è stato possibile leggere il modulo. Torna indietro e riprova.",
	"The invitation is sent.":                            "L'invito è stato inviato.",
	"The person will no longer sign in with the old address, which gets a notice of the change. Do not change an email to hand the account to another person.": "La persona non potrà più accedere con il vecchio indirizzo, che riceve un avviso della modifica. Non cambiare l'indirizzo e-mail per trasferire l'account a un'altra persona.",
	"The reports role is saved.":                 "L'accesso a Rapporti è salvato.",
	"The subscription is saved.":                 "La sottoscrizione è salvata.",
	"The user is removed from the organization.": "L'utente è stato rimosso dall'organizzazione.",
	"The user type is saved.":                    "Il tipo di utente è salvato.",
	"They lose access to this organization at once; their account and their other organizations stay.": "Perde subito l'accesso a questa organizzazione; il suo account e le sue altre organizzazioni restano.",
	"This email already had an account, which joined this organization.":                               "Questa e-mail aveva già un account, che è stato aggiunto a questa organizzazione.",
	"This user is not in your organization (any more).":                                                "Questo utente non fa (più) parte della tua organizzazione.",
	"Update users": "Aggiorna utenti",
	"User":         "Utente",
	"User added":   "Utente aggiunto",
	"User type":    "Tipo di utente",
	"Users":        "Utenti",
	"Users (%s)":   "Utenti (%s)",
	"Viewer":       "Visualizzatore",
	"Your account": "Il tuo account",
	"Your identity provider (Okta, Microsoft Entra ID or any SCIM 2.0 client) creates, updates and removes the users of %s through SCIM.": "Il tuo fornitore d'identità (Okta, Microsoft Entra ID o qualsiasi client SCIM 2.0) crea, aggiorna e rimuove gli utenti di %s tramite SCIM.",
	"rule %d": "regola %d",
}
