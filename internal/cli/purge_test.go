package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/internal/cli"
)

// TestPurge: the retention in lienthong.yaml reaches the runs; `lienthong
// purge` records a run of mode purge, and `runs` shows what was purged.
func TestPurge(t *testing.T) {
	cfg, env, nat, _ := department(t, 200)
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// 30 days, not the default 90: a reject last read 31 days ago is stale
	// only if the setting is used.
	if _, err := f.WriteString("rejects:\n  retention: 30d\ndeleted_records:\n  retention: 7d\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	getenv := func(k string) string {
		for _, kv := range env {
			if name, v, _ := strings.Cut(kv, "="); name == k {
				return v
			}
		}
		return ""
	}
	main := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := cli.Main(context.Background(), append(args, "--config", cfg), cli.Env{Stdout: &out, Stderr: &errOut, Getenv: getenv}); code != 0 {
			t.Fatalf("lienthong %v: exit %d\n%s\n%s", args, code, out.String(), errOut.String())
		}
		return out.String()
	}
	main("sync")
	src, err := sql.Open("postgres", getenv("LT_SOURCE_DSN"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.Exec(`DELETE FROM khai_sinh WHERE id IN (1, 2)`); err != nil {
		t.Fatal(err)
	}
	main("sync", "--full-refresh")
	// Deleted 8 days ago: past the 7 days configured, within the default 30.
	if _, err := nat.Exec(`UPDATE national_records SET deleted_at = now() - interval '8 days' WHERE source_key = '1'`); err != nil {
		t.Fatal(err)
	}
	var rejects int
	if err := nat.QueryRow(`SELECT count(*) FROM rejects`).Scan(&rejects); err != nil || rejects < 2 {
		t.Fatalf("rejects after the sync = %d, %v; want at least 2", rejects, err)
	}
	if _, err := nat.Exec(`UPDATE rejects SET last_seen_at = now() - interval '31 days'
		WHERE source_key IN (SELECT source_key FROM rejects ORDER BY source_key LIMIT 2)`); err != nil {
		t.Fatal(err)
	}

	var runs []struct {
		Mode          string `json:"mode"`
		Status        string `json:"status"`
		Read          int64  `json:"read"`
		PurgedRejects int64  `json:"purged_rejects"`
		Anonymised    int64  `json:"anonymised"`
	}
	if err := json.Unmarshal([]byte(main("purge", "--stream", "khai-sinh", "--json")), &runs); err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Mode != "purge" || runs[0].Status != "succeeded" || runs[0].PurgedRejects != 2 ||
		runs[0].Anonymised != 1 || runs[0].Read != 0 {
		t.Fatalf("purge --json = %+v; want one succeeded purge run that purged 2 rejects and anonymised 1 record", runs)
	}
	var left int
	if err := nat.QueryRow(`SELECT count(*) FROM rejects`).Scan(&left); err != nil || left != rejects-2 {
		t.Fatalf("rejects after the purge = %d, %v; want %d", left, err, rejects-2)
	}

	if err := json.Unmarshal([]byte(main("runs", "--json")), &runs); err != nil || len(runs) != 3 || runs[0].PurgedRejects != 2 {
		t.Fatalf("runs --json = %+v, %v; want the purge run first, with purged_rejects 2", runs, err)
	}
	table := main("runs")
	if !strings.Contains(table, "PURGED REJECTS") || !strings.Contains(table, "ANONYMISED") {
		t.Errorf("runs table lacks the purge columns:\n%s", table)
	}
}
