package httpjson_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors/httpjson"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		want   time.Duration
		ok     bool
	}{
		{"seconds", "120", 2 * time.Minute, true},
		{"zero", "0", 0, true},
		{"spaces", " 5 ", 5 * time.Second, true},
		{"negative", "-3", 0, false},
		{"IMF-fixdate", "Wed, 01 May 2024 10:00:30 GMT", 30 * time.Second, true},
		{"RFC 850 date", "Wednesday, 01-May-24 10:01:00 GMT", time.Minute, true},
		{"asctime date", "Wed May  1 10:00:10 2024", 10 * time.Second, true},
		{"date in the past", "Wed, 01 May 2024 09:00:00 GMT", 0, true},
		{"absurd seconds are capped", "99999999999", 24 * time.Hour, true},
		{"empty", "", 0, false},
		{"garbage", "soon", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := httpjson.ParseRetryAfter(tc.header, now)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ParseRetryAfter(%q) = %s, %v; want %s, %v", tc.header, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestNextLink(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{"GitHub style", []string{`<https://api/x?page=2>; rel="next", <https://api/x?page=5>; rel="last"`}, "https://api/x?page=2"},
		{"next second", []string{`<https://api/x?page=1>; rel="prev", <https://api/x?page=3>; rel="next"`}, "https://api/x?page=3"},
		{"separate headers", []string{`</x?page=1>; rel="first"`, `</x?after=abc>; rel=next`}, "/x?after=abc"},
		{"several rels", []string{`<https://api/x?p=2>; rel="next last"`}, "https://api/x?p=2"},
		{"case and spaces", []string{`<https://api/x?p=2> ;  REL = "Next"`}, "https://api/x?p=2"},
		{"comma inside a quoted param", []string{`<https://api/a>; title="a, b"; rel="prev", <https://api/b>; rel="next"`}, "https://api/b"},
		{"comma inside the URL", []string{`<https://api/x?ids=1,2>; rel="next"`}, "https://api/x?ids=1,2"},
		{"no next", []string{`<https://api/x?page=1>; rel="first"`}, ""},
		{"nextish rel", []string{`<https://api/x?page=1>; rel="next-archive"`}, ""},
		{"none", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := httpjson.NextLink(tc.values); got != tc.want {
				t.Errorf("NextLink(%q) = %q, want %q", tc.values, got, tc.want)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	const secret = "Zm9v-s3cret"
	tests := []struct {
		name, url, param, want string
	}{
		{"userinfo and fragment", "https://user:pw@api.gov.vn/v1/items?page=2#top", "", "https://api.gov.vn/v1/items?page=2"},
		{"api key param", "https://api/x?api_key=" + secret + "&page=2", "api_key", "https://api/x?api_key=xxxxx&page=2"},
		{"param of another name", "https://api/x?k=" + secret, "k", "https://api/x?k=xxxxx"},
		{"credential-like names", "https://api/x?access_token=a&signature=b&sessionId=c&tinh=42", "", "https://api/x?access_token=xxxxx&sessionId=xxxxx&signature=xxxxx&tinh=42"},
		{"secret under an innocent name", "https://api/x?q=" + secret, "", "https://api/x?q=xxxxx"},
		{"secret in the path", "https://api/x/" + secret + "/items", "", "https://api/x/xxxxx/items"},
		{"escaped secret", "https://api/x?q=a%2F" + secret, "", "https://api/x?q=xxxxx"},
		{"nothing to hide", "https://api/x?updated_since=2024-05-01T10%3A00%3A00Z", "", "https://api/x?updated_since=2024-05-01T10%3A00%3A00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := httpjson.RedactURL(tc.url, secret, tc.param); got != tc.want {
				t.Errorf("RedactURL(%q) = %q, want %q", tc.url, got, tc.want)
			}
		})
	}
}

func TestCompareCursors(t *testing.T) {
	tests := []struct {
		a, b string
		want int
		err  bool
	}{
		{"9", "10", -1, false},
		{"10", "10.0", 0, false},
		{"99999999999999999999", "100000000000000000000", -1, false},
		{"1.5e3", "1499", 1, false},
		{"2024-05-01T10:00:00+07:00", "2024-05-01T03:00:00Z", 0, false},
		{"2024-05-01T10:00:00+07:00", "2024-05-01T03:00:01Z", -1, false},
		{"2024-05-01 10:00:00.5", "2024-05-01 10:00:00.25", 1, false},
		{"2024-05-02", "2024-05-01T23:59:59Z", 1, false},
		{"v10", "v9", -1, false}, // text compares as text
		{"1714550400", "2024-05-01T08:00:00Z", 0, true},
		{"abc", "5", 0, true},
	}
	for _, tc := range tests {
		got, err := httpjson.CompareCursors(tc.a, tc.b)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("compare(%q, %q) = %d, %v; want %d, error %v", tc.a, tc.b, got, err, tc.want, tc.err)
		}
	}
}

func TestLowerCursor(t *testing.T) {
	tests := []struct {
		cursor, lookBack, want, err string
	}{
		{"2024-05-01T10:00:00+07:00", "10m", "2024-05-01T09:50:00+07:00", ""},
		{"2024-05-01T10:00:00Z", "1h30m", "2024-05-01T08:30:00Z", ""},
		{"2024-05-01 00:05:00.123", "10m", "2024-04-30 23:55:00.123", ""},
		{"2024-05-02", "24h", "2024-05-01", ""},
		{"1714550400", "600", "1714549800", ""},
		{"10.50", "0.25", "10.25", ""},
		{"5", "10", "-5", ""},
		{"1714550400", "10m", "", "must be a number"},
		{"2024-05-01T10:00:00Z", "600", "", "must be a duration"},
		{"v10", "1", "", "none of these"},
		{"2024-05-01T10:00:00Z", "-1h", "", "negative"},
	}
	for _, tc := range tests {
		got, err := httpjson.LowerCursor(tc.cursor, tc.lookBack)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("LowerCursor(%q, %q) = %q, %v; want an error with %q", tc.cursor, tc.lookBack, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("LowerCursor(%q, %q) = %q, %v; want %q", tc.cursor, tc.lookBack, got, err, tc.want)
		}
	}
}

func TestConvertNumber(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"0", int64(0)},
		{"-9223372036854775808", int64(-9223372036854775808)},
		{"9223372036854775808", "9223372036854775808"},
		{"3.14", 3.14},
		{"0.000001234", 0.000001234},
		{"123456789012345.6", "123456789012345.6"}, // 16 digits
		{"12345678901234.5", 12345678901234.5},     // 15 digits
		{"1e400", "1e400"},
		{"2.50", 2.5},
	}
	for _, tc := range tests {
		if got := httpjson.ConvertNumber(tc.in); got != tc.want {
			t.Errorf("convert(%s) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

func TestDecodeCheckpoint(t *testing.T) {
	tests := []struct {
		name, cp, pag string
		ok            bool
	}{
		{"empty", ``, "page", true},
		{"null", `null`, "page", true},
		{"between reads", `{"cursor":"5","ties":["1","2"]}`, "page", true},
		{"in a page read", `{"read":{"page":3,"next":2,"last_key":"9"}}`, "page", true},
		{"in a link read, first page", `{"read":{"next":2,"last_key":"9"}}`, "link", true},
		{"page position missing", `{"read":{"next":2,"last_key":"9"}}`, "page", false},
		{"token for a page stream", `{"read":{"token":"x","next":1,"last_key":"1"}}`, "page", false},
		{"negative next", `{"read":{"offset":0,"next":-1,"last_key":"1"}}`, "offset", false},
		{"since_ties without since", `{"read":{"since_ties":["a"],"next":1,"last_key":"a"}}`, "none", false},
		{"trailing data", `{} {}`, "page", false},
		{"not an object", `[1]`, "page", false},
	}
	for _, tc := range tests {
		err := httpjson.DecodeCheckpoint([]byte(tc.cp), tc.pag)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, httpjson.ErrCheckpoint)) {
			t.Errorf("%s: err = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}
