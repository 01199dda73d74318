package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/internal/cli"
	"github.com/lienthong/lienthong/internal/demo"
)

func TestCheckAndDiscover(t *testing.T) {
	dir := t.TempDir()
	files, err := demo.Setup(context.Background(), dir, 50)
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := cli.Main(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
		return code, out.String(), errOut.String()
	}

	code, out, errOut := run("check", "ho-tich", "--config", files.Config)
	if code != 0 || !strings.Contains(out, "ok    stream khai-sinh") || !strings.Contains(out, "ok    stream cong-dan") {
		t.Fatalf("check: exit %d\n%s\n%s", code, out, errOut)
	}

	code, out, _ = run("discover", "--config", files.Config, "tu-phap/ho-tich", "--json")
	var report struct {
		Streams []struct {
			Name         string   `json:"name"`
			SuggestedKey []string `json:"suggested_primary_key"`
			Columns      []struct{ Name string }
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &report) != nil || len(report.Streams) != 1 {
		t.Fatalf("discover --json: exit %d\n%s", code, out)
	}
	if s := report.Streams[0]; s.Name != "khai_sinh" || len(s.SuggestedKey) != 1 || s.SuggestedKey[0] != "id" || len(s.Columns) != 17 {
		t.Fatalf("discover found %+v", s)
	}

	// A stream whose table is misspelt fails the check, naming it.
	cfg, _ := os.ReadFile(files.Config)
	broken := filepath.Join(dir, "broken.yaml")
	os.WriteFile(broken, bytes.Replace(cfg, []byte("table: khai_sinh\n            primary_key: [id]\n            cursor: ngay_cap_nhat\n            mapping: mappings/cong-dan.yaml"), []byte("table: khai_sinhh\n            primary_key: [id]\n            cursor: ngay_cap_nhat\n            mapping: mappings/cong-dan.yaml"), 1), 0o644)
	code, out, errOut = run("check", "ho-tich", "--config", broken)
	if code != 1 || !strings.Contains(out, "FAIL  stream cong-dan") || !strings.Contains(out, "khai_sinhh") || !strings.Contains(out, "ok    stream khai-sinh") {
		t.Fatalf("check of a misspelt table: exit %d\n%s\n%s", code, out, errOut)
	}

	// The first records of a live stream, through its own mapping.
	code, out, errOut = run("mapping", "test", "--stream", "khai-sinh", "--limit", "5", "--config", files.Config)
	if code != 0 || !strings.Contains(out, "#5  5\n") || strings.Contains(out, "#6") || !strings.Contains(out, "5 records:") {
		t.Fatalf("mapping test --stream: exit %d\n%s\n%s", code, out, errOut)
	}

	code, _, errOut = run("check", "no-such", "--config", files.Config)
	if code != 2 || !strings.Contains(errOut, "tu-phap/ho-tich") {
		t.Fatalf("check of an unknown source: exit %d, %s", code, errOut)
	}
}
