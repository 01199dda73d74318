package config_test

import (
	"strings"
	"testing"

	"github.com/lienthong/lienthong/config"
)

// FuzzDecodeSource: any body decodes or is refused with field errors,
// never a panic, and no reason repeats the password of an inline DSN.
func FuzzDecodeSource(f *testing.F) {
	for _, seed := range []string{
		`{"name": "a", "kind": "postgres", "dsn": "postgres://u:Pw9zz@db/x"}`,
		"name: a\nkind: mysql\ndsn: u:Pw9zz@tcp(db)/x\nstreams: [{name: s, table: t, primary_key: [id], cursor: c}]\n",
		"name: &a a\nkind: *a\n",
		"streams: [{name: s, batch: {size: x}}]\n",
		"",
		"[1, 2]",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		src, errs := config.DecodeSource(body)
		for _, e := range errs {
			if e.Reason == "" {
				t.Errorf("an empty reason for %q", e.Field)
			}
			if strings.Contains(e.Reason, "Pw9zz") {
				t.Errorf("a reason shows the password: %q", e.Reason)
			}
		}
		if errs == nil && !config.ValidName(src.Name) {
			t.Errorf("accepted the name %q", src.Name)
		}
	})
}
