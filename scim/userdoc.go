package scim

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
	"time"

	"github.com/elimity-com/scim"
	scimerr "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"

	"github.com/idbridge/idbridge/store"
)

// A user document is the org's view of a person as a JSON object, without
// id, meta, schemas, groups and password: what Membership.Profile stores.

// userDoc turns validated attributes into a profile document and takes out
// the password and externalId, which are kept elsewhere (or nowhere).
func userDoc(attrs map[string]any) (doc map[string]any, password, externalID string) {
	doc = make(map[string]any, len(attrs))
	for k, v := range attrs {
		switch strings.ToLower(k) {
		case "password":
			password, _ = v.(string)
		case "externalid":
			externalID, _ = v.(string)
		case "id", "meta", "schemas", "groups":
		default:
			if v = clean(v); v != nil {
				doc[k] = v
			}
		}
	}
	return doc, password, externalID
}

// clean drops nil values and empty lists so the stored document is what was
// meaningfully sent; json.Number stays as sent.
func clean(v any) any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		if len(v) == 0 {
			return nil
		}
		out := make([]any, 0, len(v))
		for _, e := range v {
			if e = clean(e); e != nil {
				out = append(out, e)
			}
		}
		return out
	case []map[string]any:
		out := make([]any, 0, len(v))
		for _, e := range v {
			out = append(out, clean(e))
		}
		return clean(out)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if e = clean(e); e != nil {
				out[k] = e
			}
		}
		return out
	}
	return v
}

// signInEmail picks the account email: userName when it is an email
// address, else the primary email, else the work email.
func signInEmail(doc map[string]any) (string, error) {
	if un, _ := lookup(doc, "userName").(string); strings.Contains(un, "@") {
		return strings.TrimSpace(un), nil
	}
	emails, _ := lookup(doc, "emails").([]any)
	pick := func(ok func(map[string]any) bool) string {
		for _, e := range emails {
			if m, _ := e.(map[string]any); m != nil && ok(m) {
				if v, _ := lookup(m, "value").(string); v != "" {
					return strings.TrimSpace(v)
				}
			}
		}
		return ""
	}
	if v := pick(func(m map[string]any) bool { return lookup(m, "primary") == true }); v != "" {
		return v, nil
	}
	if v := pick(func(m map[string]any) bool { t, _ := lookup(m, "type").(string); return strings.EqualFold(t, "work") }); v != "" {
		return v, nil
	}
	return "", badRequest(scimerr.ScimTypeInvalidValue,
		"The sign-in email is userName when it is an email address, else the primary or work email; this user has neither.")
}

// docName returns the given and family names and whether a name was sent.
func docName(doc map[string]any) (given, family string, ok bool) {
	n, ok := lookup(doc, "name").(map[string]any)
	if !ok {
		return "", "", false
	}
	given, _ = lookup(n, "givenName").(string)
	family, _ = lookup(n, "familyName").(string)
	return given, family, true
}

// docActive is the active flag (default true).
func docActive(doc map[string]any) bool {
	b, ok := lookup(doc, "active").(bool)
	return !ok || b
}

// currentDoc is the org's view of a member: the stored profile, or one made
// from the account for a member who did not come through SCIM.
func currentDoc(m store.Member) map[string]any {
	doc := map[string]any{}
	if len(m.Membership.Profile) > 0 {
		_ = decodeJSON(m.Membership.Profile, &doc)
	}
	if lookup(doc, "userName") == nil {
		doc["userName"] = m.Account.Email
	}
	if lookup(doc, "emails") == nil {
		doc["emails"] = []any{map[string]any{"value": m.Account.Email, "type": "work", "primary": true}}
	}
	// A member who came through SCIM shows only what its IdP sent: the
	// account's name may come from another company's org.
	if len(m.Membership.Profile) == 0 && (m.Account.GivenName != "" || m.Account.FamilyName != "") {
		doc["name"] = map[string]any{"givenName": m.Account.GivenName, "familyName": m.Account.FamilyName}
	}
	doc["active"] = !m.Membership.Disabled
	return doc
}

// version is the member's ETag: it changes with the membership and the account.
func version(m store.Member) string {
	return etag(m.Account.ID, m.Membership.UpdatedAt, m.Account.UpdatedAt)
}

func etag(id string, ts ...time.Time) string {
	h := fnv.New64a()
	h.Write([]byte(id))
	for _, t := range ts {
		fmt.Fprintf(h, "|%d", t.UnixMicro())
	}
	return fmt.Sprintf(`W/"%x"`, h.Sum64())
}

// userResource is a member as the library returns it.
func (h *Handler) userResource(m store.Member, groups []store.Group) scim.Resource {
	doc := currentDoc(m)
	if groups != nil {
		gs := make([]any, 0, len(groups))
		for _, g := range groups {
			gs = append(gs, map[string]any{"value": g.ID, "display": g.DisplayName, "type": "direct",
				"$ref": h.opt.BaseURL + h.opt.Prefix + "/Groups/" + g.ID})
		}
		doc["groups"] = gs
	}
	created, modified := m.Membership.CreatedAt, m.Membership.UpdatedAt
	if m.Account.UpdatedAt.After(modified) {
		modified = m.Account.UpdatedAt
	}
	res := scim.Resource{ID: m.Account.ID, Attributes: doc,
		Meta: scim.Meta{Created: &created, LastModified: &modified, Version: version(m)}}
	if m.Membership.ExternalID != "" {
		res.ExternalID = optional.NewString(m.Membership.ExternalID)
	}
	return res
}

// checkIfMatch answers 412 when If-Match is present and names another version.
func checkIfMatch(r *http.Request, current string) error {
	im := r.Header.Get("If-Match")
	if im == "" || etagListMatches(im, current) {
		return nil
	}
	return scimerr.ScimError{Status: http.StatusPreconditionFailed,
		Detail: "The resource changed since the version in If-Match; read it again."}
}

// ifMatch returns the store precondition of the request's If-Match (nil
// without one): the resource's version, read inside the change's
// transaction, must be one the client named.
func ifMatch[T any](r *http.Request, version func(T) string) func(T) error {
	if r.Header.Get("If-Match") == "" {
		return nil
	}
	return func(v T) error { return checkIfMatch(r, version(v)) }
}

// etagListMatches compares weakly (RFC 9110 8.8.3.2): W/ prefixes ignored.
func etagListMatches(list, current string) bool {
	cur := strings.TrimPrefix(current, "W/")
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == cur {
			return true
		}
	}
	return false
}

func marshalDoc(doc map[string]any) (json.RawMessage, error) {
	b, err := json.Marshal(doc)
	return b, err
}

// multiValued are the multi-valued attributes of a user an IdP may write
// (groups is read-only and never stored).
var multiValued = func() []string {
	var out []string
	for _, a := range userSchema.Attributes {
		if a.MultiValued() && a.Name() != "groups" {
			out = append(out, a.Name())
		}
	}
	return out
}()

// valueCounts is the number of values of each multi-valued attribute.
func valueCounts(doc map[string]any) map[string]int {
	n := make(map[string]int, len(multiValued))
	for _, name := range multiValued {
		list, _ := lookup(doc, name).([]any)
		n[name] = len(list)
	}
	return n
}

// checkValues refuses a multi-valued attribute with more than max values
// that has more than before (nil: nothing before). A member stored with more
// before the limit keeps them, and may lose some.
func checkValues(doc map[string]any, before map[string]int, max int) error {
	for _, name := range multiValued {
		list, _ := lookup(doc, name).([]any)
		if len(list) > max && len(list) > before[name] {
			return invalidValue("%s has at most %d values.", name, max)
		}
	}
	return nil
}

// severalPrimaries are the multi-valued attributes with more than one
// primary value, each as its valueKey.
func severalPrimaries(doc map[string]any) map[string]string {
	out := map[string]string{}
	for _, name := range multiValued {
		list, _ := lookup(doc, name).([]any)
		n := 0
		for _, e := range list {
			if isPrimary(e) {
				n++
			}
		}
		if n > 1 {
			out[name] = valueKey(list)
		}
	}
	return out
}

// checkPrimary refuses more than one primary value in a multi-valued
// attribute (RFC 7643 2.4), unless the attribute is as it was before (a
// member stored so earlier can still be changed elsewhere).
func checkPrimary(doc map[string]any, before map[string]string) error {
	for name, key := range severalPrimaries(doc) {
		if old, ok := before[name]; !ok || old != key {
			return invalidValue("At most one value of %s may be primary.", name)
		}
	}
	return nil
}

// checkUserDoc checks a user document a POST or PUT sent.
func (h *Handler) checkUserDoc(doc map[string]any) error {
	if err := checkValues(doc, nil, h.opt.MaxValues); err != nil {
		return err
	}
	return checkPrimary(doc, nil)
}
