package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/audit"
	"github.com/lienthong/lienthong/clients"
)

// TestAdminToken: serve takes the administrator's token from the
// environment or from a file, keeps only its hash, and refuses a short one.
func TestAdminToken(t *testing.T) {
	long := strings.Repeat("k", 40)
	file := filepath.Join(t.TempDir(), "admin")
	if err := os.WriteFile(file, []byte(long+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	none := ""
	pf := prefillFlags{forms: &none}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want bool
		err  string
	}{
		{"none", nil, false, ""},
		{"variable", map[string]string{adminTokenEnv: long}, true, ""},
		{"file", map[string]string{adminTokenFileEnv: file}, true, ""},
		{"short", map[string]string{adminTokenEnv: "secret"}, false, "shorter than 32"},
		{"missing file", map[string]string{adminTokenFileEnv: file + ".nope"}, false, "read the administrator token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &app{audit: &audit.Store{}}
			acc, err := a.access(pf, Env{Getenv: func(k string) string { return tc.env[k] }})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "secret") {
					t.Fatalf("error %v, want one saying %q without the token", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := acc.AdminTokenHash != nil; got != tc.want {
				t.Fatalf("admin token set: %v, want %v", got, tc.want)
			}
			if tc.want && !clients.Equal(long, *acc.AdminTokenHash) {
				t.Error("the hash is not the token's")
			}
			if acc.Forms == nil || len(acc.Forms.List()) != 3 {
				t.Error("the shipped forms are not loaded")
			}
		})
	}
}
