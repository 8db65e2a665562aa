package web

import (
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestColourContrast computes the WCAG 2 contrast ratio of every text colour
// of the pages on its background, in the light and the dark scheme: each
// must reach AA's 4.5:1 for normal text (issue 8 item 22: dark-mode buttons
// had #fff on #7aa7ff, 2.4:1).
func TestColourContrast(t *testing.T) {
	b, err := os.ReadFile("templates/layout.html")
	if err != nil {
		t.Fatal(err)
	}
	css := string(b)
	light := cssVars(t, regexp.MustCompile(`(?s)^.*?:root\{(.*?)\}`).FindStringSubmatch(css))
	dark := cssVars(t, regexp.MustCompile(`prefers-color-scheme:dark\)\{:root\{(.*?)\}`).FindStringSubmatch(css))
	for _, button := range []string{"color:var(--onaccent);background:var(--accent)"} {
		if !strings.Contains(css, button) {
			t.Fatalf("the button rule no longer reads %q: update this test", button)
		}
	}
	pairs := [][2]string{
		{"--fg", "--bg"}, {"--fg", "--card"}, {"--muted", "--card"},
		{"--accent", "--card"},     // links and link-buttons
		{"--onaccent", "--accent"}, // buttons
		{"--err", "--errbg"}, {"--ok", "--okbg"},
		// The console (issue 9): table headers and their sort links, the
		// current navigation item, danger buttons, a selected row's text.
		{"--fg", "--head"}, {"--accent", "--head"}, {"--fg", "--sel"},
		{"--ondanger", "--danger"}, {"--muted", "--head"},
		{"--accent", "--bg"}, // the language switcher under the sign-in pages
	}
	for scheme, vars := range map[string]map[string]string{"light": light, "dark": dark} {
		for _, p := range pairs {
			r := contrast(t, vars[p[0]], vars[p[1]])
			t.Logf("%s: %s %s on %s %s: %.2f:1", scheme, p[0], vars[p[0]], p[1], vars[p[1]], r)
			if r < 4.5 {
				t.Errorf("%s scheme: %s (%s) on %s (%s) has contrast %.2f:1, want at least 4.5:1", scheme, p[0], vars[p[0]], p[1], vars[p[1]], r)
			}
		}
	}
}

func cssVars(t *testing.T, m []string) map[string]string {
	t.Helper()
	if m == nil {
		t.Fatal("no :root block in layout.html")
	}
	out := map[string]string{}
	for _, decl := range strings.Split(m[1], ";") {
		if k, v, ok := strings.Cut(decl, ":"); ok && strings.HasPrefix(k, "--") {
			out[k] = v
		}
	}
	return out
}

// contrast is WCAG 2's (L1 + 0.05) / (L2 + 0.05) of two #rgb or #rrggbb colours.
func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(t *testing.T, c string) float64 {
	t.Helper()
	h := strings.TrimPrefix(c, "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	n, err := strconv.ParseUint(h, 16, 32)
	if err != nil || len(h) != 6 {
		t.Fatalf("colour %q is not #rgb or #rrggbb", c)
	}
	lin := func(v uint64) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(n>>16&0xff) + 0.7152*lin(n>>8&0xff) + 0.0722*lin(n&0xff)
}
