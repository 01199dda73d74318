package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/internal/cli"
)

// run runs lienthong in this process and returns its exit code, stdout and
// stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	return code, out.String(), errOut.String()
}

// TestRejectsNaturalOrder: rejects are listed by source key as a person
// counts, 2 before 10, in the table and in JSON, and --limit keeps the
// first ones in that order.
func TestRejectsNaturalOrder(t *testing.T) {
	// 1250 rejects: more than one page of the store.
	cfg := sqliteDepartment(t, 2500, func(id int) bool { return id%2 == 0 }, "")
	if code, out, errOut := run(t, "sync", "--config", cfg); code != 0 {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut := run(t, "rejects", "--config", cfg, "--json", "--limit", "0")
	var rejects []struct {
		SourceKey string `json:"source_key"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &rejects) != nil {
		t.Fatalf("rejects --json: exit %d\n%s\n%s", code, out, errOut)
	}
	var keys []string
	for _, r := range rejects {
		keys = append(keys, r.SourceKey)
	}
	var want []string
	for id := 2; id <= 2500; id += 2 {
		want = append(want, strconv.Itoa(id))
	}
	if got := strings.Join(keys, " "); got != strings.Join(want, " ") {
		t.Fatalf("rejects in order\n%s\nwant\n%s", got, strings.Join(want, " "))
	}
	// A limit keeps the first in natural order, not the first as text.
	code, out, _ = run(t, "rejects", "--config", cfg, "--limit", "11")
	if code != 0 {
		t.Fatalf("rejects: exit %d", code)
	}
	var shown []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "tu-phap/ho-tich/khai-sinh" {
			shown = append(shown, f[1])
		}
	}
	if got := strings.Join(shown, " "); got != "2 4 6 8 10 12 14 16 18 20 22" {
		t.Fatalf("rejects --limit 11 shows %s:\n%s", got, out)
	}
}

// TestRejectsUnknownReason: a mistyped reason code is an error listing the
// known codes and those in the rejects, for rejects and rejects retry; a
// known code without rejects is an empty list.
func TestRejectsUnknownReason(t *testing.T) {
	cfg := sqliteDepartment(t, 20, func(id int) bool { return id%10 == 0 }, "")
	if code, out, errOut := run(t, "sync", "--config", cfg); code != 0 {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, args := range [][]string{
		{"rejects", "--config", cfg, "--reason", "required_mising"},
		{"rejects", "retry", "--config", cfg, "--reason", "required_mising"},
	} {
		code, out, errOut := run(t, args...)
		for _, want := range []string{`unknown reason code "required_mising"`, "bad_date", "id_sex_mismatch", "malformed_row",
			"unknown_admin_unit", "the rejects now have required_missing (2)"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, want, errOut)
			}
		}
		if code != 2 || strings.Contains(out, "RUN") {
			t.Errorf("%v: exit %d, stdout:\n%s", args, code, out)
		}
	}
	code, out, errOut := run(t, "rejects", "--config", cfg, "--reason", "bad_date", "--json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("a known code with no rejects: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = run(t, "rejects", "--config", cfg, "--reason", "required_missing", "--json")
	if code != 0 || strings.Count(out, `"source_key"`) != 2 {
		t.Errorf("--reason required_missing: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestVersionFlag(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		code, out, errOut := run(t, args...)
		if code != 0 || out != "lienthong "+cli.Version+"\n" {
			t.Errorf("%v: exit %d, %q %q", args, code, out, errOut)
		}
	}
}
