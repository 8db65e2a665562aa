package config

import (
	"os"
	"path"
	"strings"
	"testing"
)

// TestGitignoreKeepsTheDataDirOut: the default data dir holds the SQLite
// database, the development secret key and mail with live links; the
// repository's .gitignore must keep all of them out of commits (issue 8
// item 22). Patterns are matched as git does for these simple forms.
func TestGitignoreKeepsTheDataDirOut(t *testing.T) {
	data, err := os.ReadFile("../.gitignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, l)
		}
	}
	dir := path.Clean(Default().DataDir) // "data"
	for _, file := range []string{dir + "/idbridge.db", dir + "/idbridge.db-wal", dir + "/" + secretKeyFile, dir + "/mail/20260501T120000Z-x.eml"} {
		if !ignored(patterns, file) {
			t.Errorf("%s is not ignored by .gitignore %q", file, patterns)
		}
	}
}

// ignored matches "dir/" (a directory at any depth) and "*.ext" or "name"
// (a base name) patterns.
func ignored(patterns []string, file string) bool {
	parts := strings.Split(file, "/")
	for _, p := range patterns {
		if d, ok := strings.CutSuffix(p, "/"); ok {
			for _, seg := range parts[:len(parts)-1] {
				if m, _ := path.Match(strings.TrimPrefix(d, "/"), seg); m {
					return true
				}
			}
			continue
		}
		if m, _ := path.Match(p, parts[len(parts)-1]); m {
			return true
		}
	}
	return false
}
