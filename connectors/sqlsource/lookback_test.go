package sqlsource_test

import (
	"math/big"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/connectors/sqlsource"
)

func TestLowerCursor(t *testing.T) {
	cases := []struct {
		name, cursor, lookBack, want, err string
	}{
		{name: "postgres timestamptz, hour offset", cursor: "2024-05-01 10:05:00.123456+07", lookBack: "10m", want: "2024-05-01 09:55:00.123456+07"},
		{name: "postgres timestamptz, minute offset", cursor: "2024-05-01 00:05:00+05:30", lookBack: "10m", want: "2024-04-30 23:55:00+05:30"},
		{name: "postgres timestamp, no offset", cursor: "2024-01-01 00:00:00", lookBack: "1s", want: "2023-12-31 23:59:59"},
		{name: "fraction digits kept", cursor: "2024-05-01 10:00:00.500", lookBack: "1h", want: "2024-05-01 09:00:00.500"},
		{name: "T separator, offset", cursor: "2024-05-01T10:00:00-07:00", lookBack: "90m", want: "2024-05-01T08:30:00-07:00"},
		{name: "RFC 3339 nano, Z", cursor: "2024-05-01T10:00:00.123456789Z", lookBack: "1ns", want: "2024-05-01T10:00:00.123456788Z"},
		{name: "compact offset", cursor: "2024-05-01 10:00:00+0700", lookBack: "1h", want: "2024-05-01 09:00:00+0700"},
		{name: "minutes only", cursor: "2024-05-01 10:00", lookBack: "5m", want: "2024-05-01 09:55"},
		{name: "date", cursor: "2024-03-01", lookBack: "24h", want: "2024-02-29"},
		{name: "date, short look-back lowers to the day before", cursor: "2024-03-01", lookBack: "10m", want: "2024-02-29"},
		{name: "integer", cursor: "1000", lookBack: "500", want: "500"},
		{name: "integer below zero", cursor: "10", lookBack: "25", want: "-15"},
		{name: "big integer", cursor: "123456789012345678901234567890", lookBack: "1", want: "123456789012345678901234567889"},
		{name: "decimal", cursor: "10.25", lookBack: "0.5", want: "9.75"},
		{name: "decimal scale kept", cursor: "10.50", lookBack: "1", want: "9.50"},
		{name: "finer look-back", cursor: "10", lookBack: "0.125", want: "9.875"},
		{name: "float exponent", cursor: "1.5e+20", lookBack: "1", want: "149999999999999999999"},
		{name: "number with duration", cursor: "1000", lookBack: "10m", err: "must be a number"},
		{name: "timestamp with number", cursor: "2024-05-01 10:00:00", lookBack: "500", err: "must be a duration"},
		{name: "text cursor", cursor: "HT-0042", lookBack: "5", err: "none of these"},
		{name: "hex is text", cursor: "0x1f", lookBack: "1", err: "none of these"},
		{name: "infinity", cursor: "infinity", lookBack: "1h", err: "none of these"},
		{name: "negative", cursor: "100", lookBack: "-5", err: "negative"},
		{name: "negative duration", cursor: "2024-05-01", lookBack: "-5m", err: "negative"},
		{name: "garbage look-back", cursor: "100", lookBack: "a week", err: "neither a number"},
		{name: "impossible date", cursor: "2024-02-30 10:00:00", lookBack: "1h", err: "none of these"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sqlsource.LowerCursor(tc.cursor, tc.lookBack)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("LowerCursor(%q, %q) = %q, %v; want %q", tc.cursor, tc.lookBack, got, err, tc.want)
			}
		})
	}
}

// FuzzLowerCursor: whatever the cursor text, lowering never panics; a
// timestamp lowered by nothing comes back byte for byte, and lowered by an
// hour keeps its shape; a number lowered by nothing keeps its value.
func FuzzLowerCursor(f *testing.F) {
	for _, s := range []string{"2024-05-01 10:05:00.123456+07", "2024-05-01T10:00:00Z", "2024-03-01", "10.5", "1e5", "x",
		"2024-05-01 10:00:00+05:30:15", "0001-01-01 00:30:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cursor string) {
		if same, err := sqlsource.LowerCursor(cursor, "0s"); err == nil {
			if same != cursor {
				t.Fatalf("LowerCursor(%q, 0s) = %q", cursor, same)
			}
			if low, err := sqlsource.LowerCursor(cursor, "1h"); err == nil && len(low) != len(cursor) {
				t.Fatalf("LowerCursor(%q, 1h) = %q: the shape changed", cursor, low)
			}
		}
		// "0" is both a number and a duration.
		if same, err := sqlsource.LowerCursor(cursor, "0"); err == nil && same != cursor {
			a, okA := new(big.Rat).SetString(cursor)
			b, okB := new(big.Rat).SetString(same)
			if !okA || !okB || a.Cmp(b) != 0 {
				t.Fatalf("LowerCursor(%q, 0) = %q", cursor, same)
			}
		}
	})
}

func TestDecodeCheckpoint(t *testing.T) {
	cases := []struct {
		name, json string
		nKeys      int
		ok         bool
	}{
		{"empty", "", 1, true},
		{"null", "null", 1, true},
		{"braces", "{}", 1, true},
		{"pass 1", `{"cursor":"5","key":["1"]}`, 1, true},
		{"empty text cursor", `{"cursor":"","key":["1"]}`, 1, true},
		{"pass 2", `{"cursor":"5","key":["1"],"null_key":["3"]}`, 1, true},
		{"pass 2 before any pass-1 row", `{"null_key":["3"]}`, 1, true},
		{"full", `{"cursor":"5","key":["a","1"],"full":true,"full_key":["b","2"]}`, 2, true},
		{"unknown field", `{"cursor":"5","key":["1"],"offset":10}`, 1, false},
		{"key count changed", `{"cursor":"5","key":["1"]}`, 2, false},
		{"cursor without key", `{"cursor":"5"}`, 1, false},
		{"key without cursor", `{"key":["1"]}`, 1, false},
		{"full_key without full", `{"full_key":["1"]}`, 1, false},
		{"null_key in full", `{"full":true,"null_key":["1"]}`, 1, false},
		{"trailing data", `{"cursor":"5","key":["1"]} {}`, 1, false},
		{"not an object", `"5"`, 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := sqlsource.DecodeCheckpoint([]byte(tc.json), tc.nKeys)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
