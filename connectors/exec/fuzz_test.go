package exec_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors/exec"
)

// FuzzLine feeds arbitrary stdout lines after a SCHEMA and checks that
// they either fail as malformed output or make records whose fields are
// of the types connectors.Record allows and whose key is set.
func FuzzLine(f *testing.F) {
	for _, seed := range []string{
		`{"type":"RECORD","stream":"s","record":{"id":1,"ten":"Lê Văn Thịnh","upd":"2024-05-01T10:00:00+07:00"}}`,
		`{"type":"RECORD","stream":"s","record":{"id":123456789012345678901234,"x":1.5e300,"y":[1,{"a":null}],"z":true}}`,
		`{"type":"RECORD","stream":"s","record":{"id":"a|b","ngay":"2024-02-30"}}`,
		`{"type":"STATE","value":{"bookmarks":{"s":{"id":3}}}}`,
		`{"type":"RECORD","stream":"s","record":{"id":1}} {"type":"STATE","value":1}`,
		`{"type":"RECORD","stream":"s","record":{"id":1},"record":{"id":2}}`,
		`{"type":"ACTIVATE_VERSION","stream":"s","version":1}`,
		`{"type":"RECORD","stream":"s","record":{"id":1`,
		`{"type":"RECORD","stream":"s","record":{"id":"\ud800"}}`,
		"{\"type\":\"RECORD\",\"stream\":\"s\",\"record\":{\"id\":\"\xff\"}}",
	} {
		f.Add([]byte(seed))
	}
	schema := []byte(`{"type":"SCHEMA","stream":"s","key_properties":["id"],"schema":{"properties":{"upd":{"type":"string","format":"date-time"},"ngay":{"format":"date"}}}}`)
	f.Fuzz(func(t *testing.T, line []byte) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || bytes.IndexByte(line, '\n') >= 0 {
			return
		}
		recs, err := exec.HandleLines([]string{"id"}, schema, line, line)
		if err != nil {
			if !errors.Is(err, exec.ErrMalformedOutput) {
				t.Fatalf("line %q: error %v is not ErrMalformedOutput", line, err)
			}
			return
		}
		for _, r := range recs {
			if _, ok := r.Fields["id"]; !ok {
				t.Fatalf("line %q: record without its key field: %v", line, r.Fields)
			}
			for name, v := range r.Fields {
				switch v.(type) {
				case nil, string, int64, float64, bool, time.Time:
				default:
					t.Fatalf("line %q: field %s is a %T", line, name, v)
				}
			}
		}
	})
}

// TestLineValues checks how record values are converted, without a
// program.
func TestLineValues(t *testing.T) {
	line := `{"type":"RECORD","stream":"s","record":{"id":"KS-1","big":123456789012345678901,"int":-42,"dec":"1.5","f":0.1,` +
		`"prec":1234567890.123456789,"upd":"2024-05-01T10:00:00+07:00","bad_upd":"hôm qua","obj":{"b":[1,"<x>"],"a":null},"t":true}}`
	schema := `{"type":"SCHEMA","stream":"s","key_properties":["id"],"schema":{"properties":{"upd":{"type":"string","format":"date-time"},"bad_upd":{"type":"string","format":"date-time"}}}}`
	recs, err := exec.HandleLines(nil, []byte(schema), []byte(line))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": "KS-1", "big": "123456789012345678901", "int": int64(-42), "dec": "1.5", "f": 0.1,
		"prec": "1234567890.123456789", "bad_upd": "hôm qua", "obj": `{"a":null,"b":[1,"<x>"]}`, "t": true,
	}
	got := recs[0].Fields
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v (%T), want %#v (%T)", k, got[k], got[k], v, v)
		}
	}
	if upd, ok := got["upd"].(time.Time); !ok || !upd.Equal(time.Date(2024, 5, 1, 3, 0, 0, 0, time.UTC)) {
		t.Errorf("upd = %#v, want 2024-05-01 10:00 +07 as a time.Time", got["upd"])
	}
	if recs[0].Key != "KS-1" || recs[0].NullCursor {
		t.Errorf("key %q, NullCursor %v; want KS-1 from the SCHEMA's key_properties, false", recs[0].Key, recs[0].NullCursor)
	}
}
