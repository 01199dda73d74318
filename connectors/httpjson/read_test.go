package httpjson_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/httpjson"
)

// TestPaginationStyles reads 23 records in every pagination style with page
// sizes that split them unevenly, in one read and in reads killed after
// every few records, and counts the requests each needs.
func TestPaginationStyles(t *testing.T) {
	tests := []struct {
		style    string
		pageSize int
		// requests for one whole read.
		requests int
	}{
		{stylePage, 5, 6},   // 5 full pages and an empty one
		{stylePage, 23, 2},  // one full page and an empty one
		{styleOffset, 5, 6}, // same
		{styleOffset, 7, 5},
		{styleCursor, 5, 5}, // no token after the fifth
		{styleCursor, 50, 1},
		{styleLinkHeader, 5, 5},
		{styleLinkBody, 4, 6},
		{styleNone, 5, 1},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/size%d", tc.style, tc.pageSize), func(t *testing.T) {
			api := newAPI(t, tc.style)
			var recs []map[string]any
			for i := 1; i <= 23; i++ {
				recs = append(recs, item(int64(i), i, fmt.Sprint("hồ sơ ", i)))
			}
			api.set(recs...)
			src := api.open(t, nil)

			got, final := readAll(t, src, fullRefresh(items, nil, tc.pageSize))
			sameKeys(t, "full refresh", keysOf(got), ids(1, 23))
			if n := len(api.itemRequests()); n != tc.requests {
				t.Errorf("one read sent %d requests, want %d", n, tc.requests)
			}
			if want := fmt.Sprintf(`{"cursor":%q,"ties":["23"]}`, at(23)); string(final) != want {
				t.Errorf("final = %s, want %s", final, want)
			}
			for _, rec := range got[:1] {
				if rec.Fields["id"] != int64(1) || rec.Fields["name"] != "hồ sơ 1" || rec.NullCursor {
					t.Errorf("first record = %+v", rec)
				}
			}
			for _, chunk := range []int{1, 3, tc.pageSize} {
				keys, chunkFinal := readInChunks(t, src, fullRefresh(items, nil, tc.pageSize), chunk)
				sameKeys(t, fmt.Sprintf("chunks of %d", chunk), keys, ids(1, 23))
				if string(chunkFinal) != string(final) {
					t.Errorf("chunks of %d: final = %s, want %s", chunk, chunkFinal, final)
				}
			}
		})
	}
}

// TestPageSizeCappedByAPI: an API that silently serves fewer records than
// asked must not make a read skip any. Offsets advance by what came; page
// numbers go on to an empty page.
func TestPageSizeCappedByAPI(t *testing.T) {
	for _, style := range []string{stylePage, styleOffset} {
		t.Run(style, func(t *testing.T) {
			api := newAPI(t, style)
			api.maxSize = 4
			for i := 1; i <= 10; i++ {
				api.upsert(item(int64(i), i, "x"))
			}
			src := api.open(t, nil)
			got, _ := readAll(t, src, fullRefresh(items, nil, 100))
			if style == stylePage {
				// Pages of 4 by page number: 1-4, 5-8, 9-10, then empty.
				sameKeys(t, "page", keysOf(got), ids(1, 10))
				return
			}
			sameKeys(t, "offset", keysOf(got), ids(1, 10))
			var offsets []string
			for _, h := range api.itemRequests() {
				offsets = append(offsets, h.query.Get("offset"))
			}
			if strings.Join(offsets, ",") != "0,4,8,10" {
				t.Errorf("offsets sent = %v, want 0,4,8,10", offsets)
			}
		})
	}
}

// TestShortPageEnds saves the empty-page request when the API is known to
// serve full pages.
func TestShortPageEnds(t *testing.T) {
	api := newAPI(t, stylePage)
	for i := 1; i <= 12; i++ {
		api.upsert(item(int64(i), i, "x"))
	}
	src := api.open(t, map[string]any{"pagination": map[string]any{
		"type": "page", "size_param": "page_size", "size": 5, "short_page_ends": true}})
	got, _ := readAll(t, src, fullRefresh(items, nil, 1000))
	sameKeys(t, "read", keysOf(got), ids(1, 12))
	if n := len(api.itemRequests()); n != 3 {
		t.Errorf("%d requests, want 3 (pages of 5, 5 and 2)", n)
	}
}

// TestSamePageTwice: an API that ignores the page parameter would feed page
// 1 forever; the read must fail instead.
func TestSamePageTwice(t *testing.T) {
	api := newAPI(t, stylePage)
	for i := 1; i <= 3; i++ {
		api.upsert(item(int64(i), i, "x"))
	}
	src := api.open(t, map[string]any{"pagination": map[string]any{"type": "page", "page_param": "trang"}})
	_, _, err := readUpTo(t, src, fullRefresh(items, nil, 10), 100)
	if err == nil || !strings.Contains(err.Error(), "two pages in a row with the same records") {
		t.Fatalf("err = %v, want the same-page error", err)
	}
}

// TestNextLinkElsewhere: a next link to another host must not receive the
// credentials.
func TestNextLinkElsewhere(t *testing.T) {
	api := newAPI(t, styleLinkBody)
	api.upsert(item(1, 1, "x"))
	api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
		fmt.Fprint(w, `{"data":{"items":[{"id":1,"updated_at":"2024-05-01T08:00:00Z"}]},"links":{"next":"https://evil.example/steal?page=2"}}`)
		return true
	}
	src := api.open(t, nil)
	_, _, err := readUpTo(t, src, fullRefresh(items, nil, 10), -1)
	if err == nil || !strings.Contains(err.Error(), "not to base_url's") {
		t.Fatalf("err = %v, want a refusal of the foreign link", err)
	}
}

// TestNestedKeyAndFlatten reads a composite key with a dotted path, and
// flattens nested objects for the mapping when asked.
func TestNestedKeyAndFlatten(t *testing.T) {
	api := newAPI(t, styleNone)
	api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
		fmt.Fprint(w, `{"data":{"items":[
			{"ho_so":{"ma":"HS-1","so":7},"updated_at":"2024-05-01T08:00:00Z","dia_chi":{"tinh":"Hà Tĩnh","xa":{"ten":"Kỳ Anh"}},"tags":[1,2]},
			{"ho_so":{"ma":"HS-2","so":8},"ho_so.ma":"shadow","updated_at":"2024-05-01T08:00:00Z"}]}}`)
		return true
	}
	st := connectors.Stream{Name: "items", Table: "items", PrimaryKey: []string{"ho_so.ma", "ho_so.so"}, Cursor: "updated_at"}
	for _, flat := range []bool{false, true} {
		t.Run(fmt.Sprint("flatten=", flat), func(t *testing.T) {
			src := api.open(t, map[string]any{"flatten": flat})
			got, _ := readAll(t, src, fullRefresh(st, nil, 10))
			// A top-level field of the whole dotted name wins over the path.
			sameKeys(t, "keys", keysOf(got), []string{"HS-1|7", "shadow|8"})
			if !flat {
				addr := got[0].Fields["dia_chi"].(map[string]any)
				if addr["tinh"] != "Hà Tĩnh" || addr["xa"].(map[string]any)["ten"] != "Kỳ Anh" {
					t.Errorf("nested fields = %v", got[0].Fields)
				}
				if tags := got[0].Fields["tags"].([]any); tags[0] != int64(1) {
					t.Errorf("array = %#v, want int64 elements", tags)
				}
				return
			}
			if got[0].Fields["dia_chi.tinh"] != "Hà Tĩnh" || got[0].Fields["dia_chi.xa.ten"] != "Kỳ Anh" || got[0].Problem != nil {
				t.Errorf("flattened fields = %v", got[0].Fields)
			}
			if p := got[1].Problem; p == nil || p.Code != "malformed_record" || !strings.Contains(p.Message, `"ho_so.ma"`) {
				t.Errorf("colliding names: problem = %+v, want malformed_record", p)
			}
		})
	}
}

// TestNumbers keeps every digit of big IDs and long decimals, in fields and
// in keys.
func TestNumbers(t *testing.T) {
	api := newAPI(t, styleNone)
	api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
		fmt.Fprint(w, `[
			{"id":12345678901234567890,"small":42,"neg":-7,"dec":3.10,"long":0.12345678901234567,"exp":1e3,"big":9007199254740993,"b":true,"nul":null},
			{"id":9007199254740993}]`)
		return true
	}
	st := connectors.Stream{Name: "items", Table: "items", PrimaryKey: []string{"id"}}
	src := api.open(t, map[string]any{"records_path": ""})
	got, _ := readAll(t, src, fullRefresh(st, nil, 10))
	sameKeys(t, "keys", keysOf(got), []string{"12345678901234567890", "9007199254740993"})
	want := map[string]any{
		"id": "12345678901234567890", "small": int64(42), "neg": int64(-7), "dec": 3.1,
		"long": "0.12345678901234567", "exp": 1000.0, "big": int64(9007199254740993), "b": true, "nul": nil,
	}
	for k, w := range want {
		if g := got[0].Fields[k]; g != w {
			t.Errorf("field %s = %#v (%T), want %#v (%T)", k, g, g, w, w)
		}
	}
	if got[1].Fields["id"] != int64(9007199254740993) {
		t.Errorf("id = %#v, want the exact int64", got[1].Fields["id"])
	}
}

// TestReaderMemory: a reader holds one page, whatever the stream's size.
func TestReaderMemory(t *testing.T) {
	api := newAPI(t, styleCursor)
	for i := 1; i <= 95; i++ {
		api.upsert(item(int64(i), i, "x"))
	}
	src := api.open(t, nil)
	r, err := src.Read(t.Context(), fullRefresh(items, nil, 10))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for ; ; n++ {
		if _, err := r.Next(t.Context()); err != nil {
			break
		}
	}
	requests, maxPage := httpjson.ReaderStats(r)
	if n != 95 || requests != 10 || maxPage != 10 {
		t.Errorf("read %d records in %d requests, largest page %d; want 95 in 10, largest 10", n, requests, maxPage)
	}
}
