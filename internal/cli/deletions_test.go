package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/internal/cli"
)

// TestSyncAllowDeletions: a full refresh that would delete more than the
// stream's max_delete_ratio (the default 0.1) exits 1 saying how to
// confirm, and sync --full-refresh --allow-deletions confirms it.
func TestSyncAllowDeletions(t *testing.T) {
	const rows = 2000
	cfg, env, nat, src := department(t, rows)
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	sync := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := cli.Main(context.Background(), append([]string{"sync", "--config", cfg, "--full-refresh"}, args...),
			cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }})
		return code, out.String() + errOut.String()
	}
	if code, out := sync(); code != 0 {
		t.Fatalf("first full refresh: exit %d\n%s", code, out)
	}
	if _, err := src.Exec(`DELETE FROM khai_sinh WHERE id <= 500`); err != nil {
		t.Fatal(err)
	}
	code, out := sync()
	if code != 1 || !strings.Contains(out, "did not read 490 of the 1960 live records") || !strings.Contains(out, "--allow-deletions") {
		t.Fatalf("full refresh deleting 25%%: exit %d, want 1 and how to confirm\n%s", code, out)
	}
	var live int
	if err := nat.QueryRow(`SELECT count(*) FROM national_records WHERE deleted_at IS NULL`).Scan(&live); err != nil || live != 1960 {
		t.Fatalf("live records after the refused refresh: %d %v, want 1960", live, err)
	}
	if code, out := sync("--allow-deletions"); code != 0 {
		t.Fatalf("confirmed full refresh: exit %d\n%s", code, out)
	}
	if err := nat.QueryRow(`SELECT count(*) FROM national_records WHERE deleted_at IS NULL`).Scan(&live); err != nil || live != 1470 {
		t.Fatalf("live records after the confirmed refresh: %d %v, want 1470", live, err)
	}
}
