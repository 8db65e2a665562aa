package web

// HasItalian says whether the catalogue translates key.
func HasItalian(key string) bool { _, ok := italian[key]; return ok }
