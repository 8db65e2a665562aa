package web

// The Italian of the org switcher (console_switch.go), the test message
// and the download's confirmation.
func init() {
	for k, v := range italianSwitch {
		italian[k] = v
	}
}

var italianSwitch = map[string]string{
	"Download 1 user as “%s”?":   "Scaricare 1 utente come “%s”?",
	"Download %s users as “%s”?": "Scaricare %s utenti come “%s”?",
	"Every user the search and filters find, on all pages, with their status, access rights, groups and dates.": "Tutti gli utenti trovati dalla ricerca e dai filtri, su tutte le pagine, con stato, diritti di accesso, gruppi e date.",
	"Test message":           "Messaggio di prova",
	"Send me a test message": "Inviami un messaggio di prova",
	"Send yourself an email from this sender to see how your users receive it. Save the sender first.":                                       "Invia a te stesso un'e-mail da questo mittente per vedere come la ricevono i tuoi utenti. Salva prima il mittente.",
	"A test message is on its way to %s. If it does not arrive in a few minutes, check the sender's address and its domain's mail settings.": "Un messaggio di prova è in viaggio verso %s. Se non arriva entro pochi minuti, controlla l'indirizzo del mittente e le impostazioni di posta del suo dominio.",
	"Switch":             "Cambia",
	"Your organizations": "Le tue organizzazioni",
	"current":            "attuale",
	"You are not an administrator of this organization.": "Non sei un amministratore di questa organizzazione.",
	"You administer several organizations. Choose the one to work on: an organization that signs in through single sign-on asks you to sign in there.": "Amministri più organizzazioni. Scegli quella su cui lavorare: un'organizzazione che accede tramite single sign-on ti chiede di accedere lì.",
}
