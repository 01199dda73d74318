package console

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// TestMessages: every text is in both languages, Vietnamese in NFC (so a
// search or a comparison of what the page shows finds it), with the same
// arguments in both.
func TestMessages(t *testing.T) {
	verbs := regexp.MustCompile(`%[vdsq]`)
	for key, m := range messages {
		if m[0] == "" || m[1] == "" {
			t.Errorf("%s: a language is missing: %q", key, m)
		}
		for _, s := range m {
			if !norm.NFC.IsNormalString(s) {
				t.Errorf("%s: %q is not NFC", key, s)
			}
		}
		if a, b := len(verbs.FindAllString(m[0], -1)), len(verbs.FindAllString(m[1], -1)); a != b {
			t.Errorf("%s: %d arguments in Vietnamese, %d in English", key, a, b)
		}
	}
	for _, f := range []string{"templates/layout.html"} {
		b, _ := fs.ReadFile(templateFS, f)
		if !norm.NFC.IsNormal(b) {
			t.Errorf("%s is not NFC", f)
		}
	}
}

// TestTemplateKeys: every message key a template names literally, and
// every page's title, exists; the templates' own text is NFC.
func TestTemplateKeys(t *testing.T) {
	lit := regexp.MustCompile(`\bT "([a-z0-9_.]+)"`)
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(files) < len(pageNames) {
		t.Fatalf("templates: %v %v", files, err)
	}
	for _, f := range files {
		b, _ := fs.ReadFile(templateFS, f)
		if !norm.NFC.IsNormal(b) {
			t.Errorf("%s is not NFC", f)
		}
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			if !msgExists(m[1]) {
				t.Errorf("%s names message %q, which the table lacks", f, m[1])
			}
		}
	}
	for _, p := range pageNames {
		if !msgExists(p+".title") && p != "error" && p != "login" {
			t.Errorf("page %s has no title message", p)
		}
	}
	for _, k := range []string{"error.title", "login.title"} {
		if !msgExists(k) {
			t.Errorf("missing %s", k)
		}
	}
	// Keys made at run time.
	for _, prefix := range []string{"health.", "report.outcome.", "login.m.", "login.e.", "done.", "ago."} {
		found := false
		for k := range messages {
			if strings.HasPrefix(k, prefix) {
				found = true
			}
		}
		if !found {
			t.Errorf("no message starts with %s", prefix)
		}
	}
	for _, k := range []string{"health.none", "health.running", "health.bad", "health.warn", "health.ok",
		"login.m.expired", "login.m.revoked", "login.m.ended", "login.m.nodept", "login.m.loggedout",
		"login.e.unknown", "login.e.expired", "login.e.revoked", "login.e.nodept",
		"report.outcome.mapped", "report.outcome.rejected", "report.outcome.skipped"} {
		if !msgExists(k) {
			t.Errorf("missing %s", k)
		}
	}
}
