package httpjson_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/httpjson"
)

// TestVietnameseNFC: Vietnamese text, sent raw or as \u escapes, arrives
// byte for byte in NFC, in fields and in keys.
func TestVietnameseNFC(t *testing.T) {
	names := []string{"Nguyễn Thị Hương", "Trần Đức Thắng", "Phạm Ngọc Ánh", "Hà Tĩnh", "Lê Quý Đôn"}
	for _, n := range names {
		if !norm.NFC.IsNormalString(n) {
			t.Fatalf("test data %q is not NFC", n)
		}
	}
	api := newAPI(t, styleNone)
	api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
		// Go's encoder writes the names raw; the last record is written with
		// \u escapes as PHP and Java APIs do.
		fmt.Fprint(w, `{"data":{"items":[`)
		for _, name := range names[:4] {
			fmt.Fprintf(w, `{"ma_ho_so":%q,"ho_ten":%q,"updated_at":"2024-05-01T08:00:00Z"},`, "HS-"+name, name)
		}
		fmt.Fprint(w, `{"ma_ho_so":"HS-L\u00ea Qu\u00fd \u0110\u00f4n","ho_ten":"L\u00ea Qu\u00fd \u0110\u00f4n","updated_at":"2024-05-01T08:00:00Z"}]}}`)
		return true
	}
	src := api.open(t, nil)
	st := connectors.Stream{Name: "people", Table: "items", PrimaryKey: []string{"ma_ho_so"}, Cursor: "updated_at"}
	got, _ := readAll(t, src, fullRefresh(st, nil, 10))
	if len(got) != len(names) {
		t.Fatalf("read %d records, want %d", len(got), len(names))
	}
	for i, rec := range got {
		name := rec.Fields["ho_ten"].(string)
		if name != names[i] || !norm.NFC.IsNormalString(name) {
			t.Errorf("record %d: ho_ten = %q (% x), want %q", i, name, name, names[i])
		}
		if rec.Key != "HS-"+names[i] {
			t.Errorf("record %d: key = %q, want %q", i, rec.Key, "HS-"+names[i])
		}
		if !strings.Contains(string(rec.Position), names[i]) {
			t.Errorf("record %d: position %s does not hold the key as text", i, rec.Position)
		}
	}
}

// TestCheck verifies what a read relies on with one request.
func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		status int
		stream connectors.Stream
		// want is a substring of the error, "" for success.
		want string
		is   error
	}{
		{"ok", `{"data":{"items":[{"id":1,"updated_at":"2024-05-01T08:00:00Z"}]}}`, 200, items, "", nil},
		{"empty page", `{"data":{"items":[]}}`, 200, items, "", nil},
		{"null page", `{"data":{"items":null}}`, 200, items, "", nil},
		{"no records path", `{"items":[]}`, 200, items, `no field "data"`, httpjson.ErrBadResponse},
		{"key field missing", `{"data":{"items":[{"ma":1,"updated_at":"x"}]}}`, 200, items,
			`primary key field "id" is missing; fix primary_key (the record's fields are ma, updated_at)`, httpjson.ErrBadResponse},
		{"cursor field missing", `{"data":{"items":[{"id":1,"ngay_cap_nhat":"2024-05-01"}]}}`, 200, items,
			`cursor field "updated_at" is in none of the 1 records`, httpjson.ErrInvalidStream},
		{"look_back does not fit", `{"data":{"items":[{"id":1,"updated_at":"2024-05-01T08:00:00Z"}]}}`, 200,
			connectors.Stream{Name: "items", Table: "items", PrimaryKey: []string{"id"}, Cursor: "updated_at", LookBack: "500"},
			"must be a duration", httpjson.ErrInvalidStream},
		{"not found", `{"error":"no route"}`, 404, items, "status 404", nil},
		{"stream with a query", "", 200, connectors.Stream{Name: "q", Query: "SELECT 1", PrimaryKey: []string{"id"}},
			"httpjson streams have no query", httpjson.ErrInvalidStream},
		{"table with a query string", "", 200, connectors.Stream{Name: "q", Table: "items?x=1", PrimaryKey: []string{"id"}},
			"must not hold a query", httpjson.ErrInvalidStream},
		{"table as a URL", "", 200, connectors.Stream{Name: "q", Table: "https://evil.example/items", PrimaryKey: []string{"id"}},
			"must be relative to base_url", httpjson.ErrInvalidStream},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := newAPI(t, stylePage)
			api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
				return true
			}
			src := api.open(t, nil)
			err := src.Check(t.Context(), tc.stream)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if n := len(api.itemRequests()); n != 1 {
					t.Errorf("check sent %d requests, want 1", n)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tc.is)
			}
		})
	}
}

// TestDiscover describes the first page of each configured path.
func TestDiscover(t *testing.T) {
	api := newAPI(t, stylePage)
	api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
		fmt.Fprint(w, `{"total": 1234, "data":{"items":[
			{"id":1,"so_dinh_danh":"001","ho_ten":"Nguyễn Văn A","ngay_cap_nhat":"2024-05-01T08:00:00+07:00","ngay_sinh":"1990-01-02","can_nang":3.2,"so_con":2,"dia_chi":{"tinh":"Hà Tĩnh"},"ghi_chu":null},
			{"id":2,"so_dinh_danh":"002","ho_ten":"Trần Thị B","ngay_cap_nhat":"2024-05-02T08:00:00+07:00","ngay_sinh":"1991-03-04","can_nang":3,"so_con":1,"dia_chi":{"tinh":"Nghệ An"}}]}}`)
		return true
	}
	src := api.open(t, map[string]any{"discover": []any{"items"}})
	infos, err := src.(connectors.Discoverer).Discover(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 {
		t.Fatalf("%d streams, want 1", len(infos))
	}
	info := infos[0]
	if info.Name != "items" || info.EstimatedRecords != 1234 || !slices.Equal(info.SuggestedKey, []string{"id"}) || info.SuggestedCursor != "ngay_cap_nhat" {
		t.Errorf("info = %+v", info)
	}
	want := []connectors.Column{
		{Name: "can_nang", Type: "number"},
		{Name: "dia_chi", Type: "object"},
		{Name: "ghi_chu", Type: "null", Nullable: true},
		{Name: "ho_ten", Type: "string"},
		{Name: "id", Type: "integer"},
		{Name: "ngay_cap_nhat", Type: "string (date-time)"},
		{Name: "ngay_sinh", Type: "string (date)"},
		{Name: "so_con", Type: "integer"},
		{Name: "so_dinh_danh", Type: "string"},
	}
	if !slices.Equal(withoutEncodings(info.Columns), want) { // encodings: TestDiscoverEncoding
		t.Errorf("columns:\n got %+v\nwant %+v", info.Columns, want)
	}

	bare := api.open(t, nil)
	if _, err := bare.(connectors.Discoverer).Discover(t.Context()); err == nil || !strings.Contains(err.Error(), "set options.discover") {
		t.Errorf("err = %v, want a hint to set options.discover", err)
	}
}
