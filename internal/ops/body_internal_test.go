package ops

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/config"
)

func TestSplitSecret(t *testing.T) {
	for _, tc := range []struct {
		name, body, rest string
		secret           *string
		field            string // of the first error, "-" for none
	}{
		{"secret taken out, order kept", `{"name": "a", "secret": "s3", "kind": "postgres"}`, `{"name":"a","kind":"postgres"}`, ptr("s3"), "-"},
		{"no secret", `{"name": "a"}`, `{"name":"a"}`, nil, "-"},
		{"empty secret", `{"secret": ""}`, `{}`, ptr(""), "-"},
		{"nested values as written", `{"options": {"secret": 1, "b": [1, 2]}}`, `{"options":{"secret": 1, "b": [1, 2]}}`, nil, "-"},
		{"secret not a string", `{"secret": {"v": 1}}`, `{}`, nil, "secret"},
		{"a key twice", `{"name": "a", "name": "b"}`, `{"name":"a"}`, nil, "name"},
		{"an array", `[1]`, "", nil, ""},
		{"two objects", `{} {}`, "", nil, ""},
		{"truncated", `{"name": "a", "secret": "s3`, "", nil, "secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rest, secret, bad := splitSecret([]byte(tc.body))
			if string(rest) != tc.rest {
				t.Errorf("rest %s, want %s", rest, tc.rest)
			}
			if (secret == nil) != (tc.secret == nil) || (secret != nil && *secret != *tc.secret) {
				t.Errorf("secret %v, want %v", secret, tc.secret)
			}
			switch {
			case tc.field == "-" && len(bad) > 0:
				t.Errorf("errors %+v", bad)
			case tc.field != "-" && (len(bad) == 0 || bad[0].Field != tc.field):
				t.Errorf("errors %+v, want one on %q", bad, tc.field)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// FuzzSplitSecret: whatever the body, the rest is a JSON object without a
// top-level secret, and no error quotes the secret.
func FuzzSplitSecret(f *testing.F) {
	for _, s := range []string{`{"name": "a", "secret": "pw"}`, `{"secret": 1}`, `[]`, `{"a": {"secret": "x"}}`, `{"a":1,"a":2}`, `{`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rest, secret, bad := splitSecret(body)
		if rest == nil {
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(rest, &m); err != nil {
			t.Fatalf("rest %q is not a JSON object: %v", rest, err)
		}
		if _, ok := m["secret"]; ok {
			t.Fatalf("rest %q holds the secret", rest)
		}
		if secret != nil && len(*secret) > 3 {
			for _, e := range bad {
				if strings.Contains(e.Reason, *secret) {
					t.Fatalf("error %+v quotes the secret", e)
				}
			}
		}
	})
}

func TestMergeFieldsFilesUnknownKeys(t *testing.T) {
	got := mergeFields([]config.FieldError{
		{Field: "", Reason: `line 1: unknown key "tabel" (did you mean "table"?)`},
		{Field: "streams[0]", Reason: `unknown key "curser"`},
		{Field: "timout", Reason: `unknown key "timout"`},
		{Field: "name", Reason: "must not be empty"},
		{Field: "name", Reason: "must not be empty"},
	})
	want := []string{"tabel", "streams[0].curser", "timout", "name"}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i, w := range want {
		if got[i].Field != w {
			t.Errorf("field %d: %q, want %q", i, got[i].Field, w)
		}
	}
}
