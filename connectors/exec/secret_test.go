package exec_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/exec"
)

const secret = `Mật-khẩu"s3cr3t\x`

func withSecret(c *connectors.Config) { c.DSN = secret }

// TestSecretDelivery checks where the secret reaches the program: the
// variable and config key the options name (LIENTHONG_SECRET by default),
// never its command line, in a 0600 file that is gone after the read.
func TestSecretDelivery(t *testing.T) {
	tests := []struct {
		name     string
		opts     map[string]any
		envVar   string // the report key of the variable that should hold it
		inConfig bool
	}{
		{"env and config", map[string]any{"secret_env": "TAP_PASSWORD", "config_secret_key": "password", "config": map[string]any{"births": 1}},
			"secret_env", true},
		{"config only", map[string]any{"config_secret_key": "password"}, "", true},
		{"env only", map[string]any{"secret_env": "TAP_PASSWORD"}, "secret_env", false},
		{"default variable", map[string]any{}, "default_secret_env", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := filepath.Join(t.TempDir(), "report.json")
			opts := map[string]any{"command": "./tap", "env": map[string]any{"TAP_REPORT": rep}}
			for k, v := range tt.opts {
				opts[k] = v
			}
			src, _ := source(t, opts, withSecret)
			if _, _, err := readAll(t, src, connectors.ReadRequest{Stream: births, Mode: connectors.FullRefresh}); err != nil {
				t.Fatal(err)
			}
			r := report(t, rep)
			for _, key := range []string{"argv", "cmdline"} {
				if strings.Contains(strings.Join(r.list(key), " "), "s3cr3t") {
					t.Errorf("the secret is in the program's %s: %q", key, r.list(key))
				}
			}
			if len(r.list("cmdline")) < 1 {
				t.Errorf("the program could not read its /proc cmdline")
			}
			for _, key := range []string{"secret_env", "default_secret_env"} {
				want := ""
				if key == tt.envVar {
					want = secret
				}
				if r[key] != want {
					t.Errorf("variable %s = %q, want %q", key, r[key], want)
				}
			}
			cfg, _ := r["config"].(string)
			if tt.inConfig != strings.Contains(cfg, `"password": "Mật-khẩu\"s3cr3t\\x"`) {
				t.Errorf("config file = %s; want the secret in it: %v", cfg, tt.inConfig)
			}
			if tt.inConfig {
				if r["config_mode"] != "-rw-------" {
					t.Errorf("config file mode = %v, want -rw-------", r["config_mode"])
				}
				path := r["config_path"].(string)
				if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("the config file's directory %s is left after the read (err %v)", filepath.Dir(path), err)
				}
			}
		})
	}
}

// TestEnvironment checks that the program gets only the variables it is
// given, not lienthong's whole environment.
func TestEnvironment(t *testing.T) {
	t.Setenv("TAP_LEAK", "another source's DSN")
	tests := []struct {
		name    string
		inherit []any
		want    string
	}{
		{"not inherited", nil, ""},
		{"inherit_env", []any{"TAP_LEAK"}, "another source's DSN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := filepath.Join(t.TempDir(), "report.json")
			opts := map[string]any{"command": "./tap", "env": map[string]any{"TAP_REPORT": rep, "TAP_GREETING": "Xin chào"}}
			if tt.inherit != nil {
				opts["inherit_env"] = tt.inherit
			}
			src, _ := source(t, opts)
			if _, _, err := readAll(t, src, connectors.ReadRequest{Stream: births, Mode: connectors.FullRefresh}); err != nil {
				t.Fatal(err)
			}
			r := report(t, rep)
			if r["leak"] != tt.want || r["greeting"] != "Xin chào" {
				t.Errorf("TAP_LEAK = %q, TAP_GREETING = %q; want %q and Xin chào", r["leak"], r["greeting"], tt.want)
			}
			if os.Getenv("HOME") != "" && r["home_set"] != true {
				t.Errorf("HOME was not passed on")
			}
		})
	}
}

// TestSecretHidden makes a program print the secret, plain and
// JSON-escaped, to stderr and stdout, and checks that neither the log nor
// the error shows it, while the error keeps its kind.
func TestSecretHidden(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]any
		sentinel error
		exit     bool
	}{
		{"exit with stderr", map[string]any{"FAIL": "1"}, nil, true},
		{"bad stdout line", map[string]any{"BADLINE": "1"}, exec.ErrMalformedOutput, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := misbehave("echo")
			opts["secret_env"] = "TAP_PASSWORD"
			opts["env"] = tt.env
			src, logs := source(t, opts, withSecret)
			recs, _, err := readAll(t, src, connectors.ReadRequest{Stream: sStream, Mode: connectors.FullRefresh})
			if err == nil {
				t.Fatal("the read did not fail")
			}
			if len(recs) != 1 || strings.Contains(recs[0].Fields["argv"].(string), "s3cr3t") {
				t.Errorf("argv record = %v, want one without the secret", recs)
			}
			for what, text := range map[string]string{"error": err.Error(), "log": logs.String()} {
				if strings.Contains(text, "s3cr3t") {
					t.Errorf("the %s shows the secret:\n%s", what, text)
				}
			}
			if !strings.Contains(logs.String(), "my password is xxxxx") || !strings.Contains(logs.String(), `config: {\"password\":\"xxxxx\"}`) {
				t.Errorf("the stderr lines were not logged with the secret hidden:\n%s", logs)
			}
			var exit *exec.ExitError
			if tt.exit && (!errors.As(err, &exit) || exit.Code != 1 || !slices.Contains(exit.Stderr, "my password is xxxxx")) {
				t.Errorf("err = %v, want an ExitError with code 1 quoting the hidden line", err)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("err = %v, want %v after hiding the secret", err, tt.sentinel)
			}
		})
	}
}
