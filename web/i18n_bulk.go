package web

// The Italian of a bulk job's page (bulkjobs.go).
func init() {
	for k, v := range italianBulkJob {
		italian[k] = v
	}
}

var italianBulkJob = map[string]string{
	"Bulk change in progress":                                                   "Modifica multipla in corso",
	"%s of %s users processed: %s changed, %s refused.":                         "%s di %s utenti elaborati: %s modificati, %s rifiutati.",
	"Download the report (CSV)":                                                 "Scarica il resoconto (CSV)",
	"The change runs in the background; you can leave this page and come back.": "La modifica prosegue in background; puoi lasciare questa pagina e tornarci.",
	"Reload": "Ricarica",
}
