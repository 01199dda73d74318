package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/config"
)

// TestKnownKinds: a source of a kind the program does not know is reported
// at load, at its line, with the likely typo and the known kinds; only on
// the sources whose secrets are resolved.
func TestKnownKinds(t *testing.T) {
	src := `departments:
  - name: tu-phap
    sources:
      - name: ho-tich
        kind: postgress
        dsn_env: HOTICH_DSN
        streams:
          - {name: khai-sinh, table: khai_sinh, primary_key: [id], cursor: updated_at, mapping: k.yaml}
      - name: xuat-file
        kind: ftp
        options: {dir: drop}
        streams:
          - {name: bao-tro, table: "*.csv", primary_key: [id], mapping: b.yaml}
`
	kinds := config.KnownKinds("exec", "file", "httpjson", "mysql", "postgres", "sqlite")
	_, err := config.Parse("lienthong.yaml", []byte(src), testEnv, kinds)
	var first *config.Error
	if !errors.As(err, &first) {
		t.Fatalf("unknown kinds: %v", err)
	}
	for _, want := range []string{
		`lienthong.yaml:5: departments[0].sources[0].kind: unknown connector kind "postgress" (did you mean "postgres"?); known kinds: exec, file, httpjson, mysql, postgres, sqlite`,
		`lienthong.yaml:10: departments[0].sources[1].kind: unknown connector kind "ftp"; known kinds: exec, file,`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	// Without the option, or for a command that resolves no source, the
	// kinds are not checked.
	if _, err := config.Parse("lienthong.yaml", []byte(src), testEnv); err != nil {
		t.Errorf("without KnownKinds: %v", err)
	}
	if _, err := config.Parse("lienthong.yaml", []byte(src), nil, kinds, config.WithoutSourceSecrets()); err != nil {
		t.Errorf("WithoutSourceSecrets: %v", err)
	}
	// Resolving one source checks that source's kind only.
	_, err = config.Parse("lienthong.yaml", []byte(src), testEnv, kinds, config.OnlySourceSecret("tu-phap/xuat-file"))
	if err == nil || strings.Contains(err.Error(), "postgress") || !strings.Contains(err.Error(), `"ftp"`) {
		t.Errorf("OnlySourceSecret(xuat-file): %v", err)
	}
}
