package exec_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/exec"
)

// TestOptions checks strict option decoding and the checks Open makes.
func TestOptions(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "plain.txt"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts map[string]any
		want string // "" when Open must succeed
	}{
		{"relative command", map[string]any{"command": "./tap"}, ""},
		{"command in PATH", map[string]any{"command": "go"}, ""},
		{"everything", map[string]any{"command": "./tap", "args": []any{"-v"}, "work_dir": ".", "env": map[string]any{"A": "b"},
			"inherit_env": []any{"HTTPS_PROXY"}, "secret_env": "PW", "config": map[string]any{"host": "x", "port": uint64(5432)},
			"config_secret_key": "password", "catalog": "tap", "discover": true, "max_line_bytes": uint64(1024)}, ""},
		{"no options", nil, `missing option "command"`},
		{"unknown option", map[string]any{"command": "./tap", "comand": "x"}, `unknown option "comand"`},
		{"args not a list", map[string]any{"command": "./tap", "args": "--verbose"}, `option "args": want a list, got a string`},
		{"env value not text", map[string]any{"command": "./tap", "env": map[string]any{"PORT": uint64(5432)}}, `option env.PORT: want text, got 5432 (quote the value)`},
		{"discover not a bool", map[string]any{"command": "./tap", "discover": "yes"}, `option "discover": want true or false, got a string`},
		{"bad env name", map[string]any{"command": "./tap", "env": map[string]any{"MY-VAR": "x"}}, `option env: "MY-VAR" is not an environment variable name`},
		{"reserved env name", map[string]any{"command": "./tap", "env": map[string]any{"LIENTHONG_STREAM": "x"}}, "LIENTHONG_STREAM is set by lienthong"},
		{"env sets the secret's variable", map[string]any{"command": "./tap", "secret_env": "PW", "env": map[string]any{"PW": "x"}}, "option env sets PW, which secret_env reserves"},
		{"env sets the default secret variable", map[string]any{"command": "./tap", "env": map[string]any{"LIENTHONG_SECRET": "x"}}, "option env sets LIENTHONG_SECRET"},
		{"config sets the secret's key", map[string]any{"command": "./tap", "config_secret_key": "pw", "config": map[string]any{"pw": "x"}}, `option config sets "pw"`},
		{"negative max_line_bytes", map[string]any{"command": "./tap", "max_line_bytes": -1}, `"max_line_bytes" must be greater than 0`},
		{"missing command", map[string]any{"command": "./nope"}, "option command: stat " + filepath.Join(bin, "nope")},
		{"command not in PATH", map[string]any{"command": "tap-that-does-not-exist"}, `"tap-that-does-not-exist" is not found in PATH`},
		{"command is a directory", map[string]any{"command": "./"}, "is a directory"},
		{"command not executable", map[string]any{"command": filepath.Join(dir, "plain.txt")}, "is not executable"},
		{"missing work_dir", map[string]any{"command": "./tap", "work_dir": "nope"}, "option work_dir: " + filepath.Join(bin, "nope") + " is not a directory"},
		{"missing catalog", map[string]any{"command": "./tap", "catalog": "catalog.json"}, "option catalog: stat " + filepath.Join(bin, "catalog.json")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := connectors.Open(context.Background(), connectors.Config{Name: "hotich", Kind: "exec", DSN: "pw", Options: tt.opts, Dir: bin})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), `source "hotich": open exec: `) {
				t.Fatalf("Open: err = %v\nwant it to say %q", err, tt.want)
			}
			if !errors.Is(err, exec.ErrInvalidOptions) {
				t.Errorf("err = %v, want ErrInvalidOptions", err)
			}
		})
	}
}

// TestRegistered checks that the kind is in the registry.
func TestRegistered(t *testing.T) {
	for _, k := range connectors.Kinds() {
		if k == "exec" {
			return
		}
	}
	t.Fatalf("kind exec is not registered: %q", connectors.Kinds())
}

// TestOpenWithoutDir checks that without a configuration directory the
// command and work_dir resolve against the working directory, not PATH.
func TestOpenWithoutDir(t *testing.T) {
	t.Chdir(bin)
	src, _ := source(t, misbehave("flood", "3"), func(c *connectors.Config) { c.Dir = "" })
	recs, _, err := readAll(t, src, connectors.ReadRequest{Stream: sStream, Mode: connectors.FullRefresh})
	if err != nil || len(recs) != 3 {
		t.Fatalf("read %d records, err %v; want 3", len(recs), err)
	}
}
