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
var italian = map[string]string{}
