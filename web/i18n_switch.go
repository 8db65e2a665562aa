package web

// The Italian of the org switcher (console_switch.go), the test message
// and the download's confirmation.
func init() {
	for k, v := range italianSwitch {
		italian[k] = v
	}
}

var italianSwitch = map[string]string{
	"Switch":             "Cambia",
	"Your organizations": "Le tue organizzazioni",
	"current":            "attuale",
	"You are not an administrator of this organization.": "Non sei un amministratore di questa organizzazione.",
	"You administer several organizations. Choose the one to work on: an organization that signs in through single sign-on asks you to sign in there.": "Amministri più organizzazioni. Scegli quella su cui lavorare: un'organizzazione che accede tramite single sign-on ti chiede di accedere lì.",
}
