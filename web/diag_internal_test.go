package web

import (
	"testing"

	"github.com/idbridge/idbridge/store"
)

// Every sign-in outcome is said in words, in English and Italian.
func TestOutcomeWords(t *testing.T) {
	for _, o := range store.Outcomes {
		w, ok := outcomeWords[o]
		if !ok {
			t.Errorf("no words for outcome %q", o)
			continue
		}
		if _, ok := italian[w]; !ok {
			t.Errorf("no Italian for %q", w)
		}
	}
}
