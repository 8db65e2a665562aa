package sqlstore

import "strings"

// JSON is how a backend reads the JSON documents the SCIM filters look into
// (memberships.profile). Keys reaching it passed store.ProfileKey (letters,
// digits and "_$.:-"), so they are written into the SQL as literals: that
// keeps the text identical to the expression indexes of migration 0002.
type JSON struct {
	// Text is the value at keys inside the document expression doc, as SQL
	// text (strings unquoted); NULL when absent. Empty keys: doc itself.
	Text func(doc string, keys []string) string
	// Bool is the bound value that Text equals for a JSON boolean.
	Bool func(bool) any
	// Each is a FROM item over the elements of the array at keys in doc, and
	// the document expression of one element.
	Each func(doc string, keys []string) (from, elem string)
}

// PostgresJSON reads jsonb columns.
var PostgresJSON = JSON{
	Text: func(doc string, keys []string) string {
		if len(keys) == 0 {
			return doc + ` #>> '{}'`
		}
		var b strings.Builder
		b.WriteString(doc)
		for i, k := range keys {
			if i == len(keys)-1 {
				b.WriteString(` ->> '` + k + `'`)
			} else {
				b.WriteString(` -> '` + k + `'`)
			}
		}
		return "(" + b.String() + ")"
	},
	Bool: func(v bool) any {
		if v {
			return "true"
		}
		return "false"
	},
	Each: func(doc string, keys []string) (string, string) {
		arr := doc
		for _, k := range keys {
			arr += ` -> '` + k + `'`
		}
		return `jsonb_array_elements(CASE WHEN jsonb_typeof(` + arr + `) = 'array' THEN ` + arr + ` ELSE '[]'::jsonb END) AS e(v)`, "e.v"
	},
}

// SQLiteJSON reads JSON text with SQLite's JSON functions.
var SQLiteJSON = JSON{
	Text: func(doc string, keys []string) string {
		if len(keys) == 0 {
			return doc
		}
		return `json_extract(` + doc + `, '` + sqlitePath(keys) + `')`
	},
	Bool: func(v bool) any {
		if v {
			return int64(1)
		}
		return int64(0)
	},
	Each: func(doc string, keys []string) (string, string) {
		return `json_each(` + doc + `, '` + sqlitePath(keys) + `') AS e`, "e.value"
	},
}

func sqlitePath(keys []string) string {
	var b strings.Builder
	b.WriteString("$")
	for _, k := range keys {
		b.WriteString(`."` + k + `"`)
	}
	return b.String()
}
