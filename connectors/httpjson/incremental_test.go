package httpjson_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/httpjson"
)

// firstRun loads ids 1-6 with cursors at minutes 1-6 and ids 7 and 8 tied
// at minute 7, the greatest.
func firstRun(api *fakeAPI) {
	api.set()
	for i := 1; i <= 6; i++ {
		api.upsert(item(int64(i), i, "v1"))
	}
	api.upsert(item(7, 7, "v1"), item(8, 7, "v1"))
}

// changeData updates id 3 to minute 9, adds id 9 late with the old
// greatest cursor (minute 7) and id 10 tied with id 3 at minute 9.
func changeData(api *fakeAPI) {
	api.upsert(item(3, 9, "v2"), item(9, 7, "v1"), item(10, 9, "v1"))
}

// TestIncrementalChanges runs three incremental reads against an API whose
// data changes between the first two: the second gets exactly the new and
// changed records, including one that arrived with the checkpoint's own
// cursor, and none of the records tied at the checkpoint that it already
// delivered; the third gets nothing. Each style pages by 2 so the tie
// groups are split across pages, and every read is also repeated as a
// series of reads killed after each record.
func TestIncrementalChanges(t *testing.T) {
	tests := []struct {
		name        string
		style       string
		cursorParam bool
		sorted      bool
		// run2 is the second read's keys in the API's order.
		run2 []string
	}{
		{"page", stylePage, true, true, []string{"9", "3", "10"}},
		{"offset", styleOffset, true, true, []string{"9", "3", "10"}},
		{"cursor", styleCursor, true, true, []string{"9", "3", "10"}},
		{"link header", styleLinkHeader, true, true, []string{"9", "3", "10"}},
		{"link body", styleLinkBody, true, true, []string{"9", "3", "10"}},
		{"no cursor_param", stylePage, false, true, []string{"9", "3", "10"}},
		{"unsorted", styleCursor, true, false, []string{"3", "9", "10"}},
		{"unsorted, no cursor_param", styleOffset, false, false, []string{"3", "9", "10"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := newAPI(t, tc.style)
			api.sorted = tc.sorted
			extra := map[string]any{}
			if tc.cursorParam {
				extra["cursor_param"] = "updated_since"
			}
			src := api.open(t, extra)
			for _, chunked := range []bool{false, true} {
				firstRun(api)
				read := func(from connectors.Checkpoint) ([]string, connectors.Checkpoint) {
					if chunked {
						return readInChunks(t, src, incremental(items, from, 2), 1)
					}
					recs, final := readAll(t, src, incremental(items, from, 2))
					return keysOf(recs), final
				}
				keys, cp1 := read(nil)
				want1 := ids(1, 8)
				sameKeys(t, "run 1", keys, want1)
				if want := fmt.Sprintf(`{"cursor":%q,"ties":["7","8"]}`, at(7)); string(cp1) != want {
					t.Fatalf("run 1 checkpoint = %s, want %s", cp1, want)
				}

				changeData(api)
				before := len(api.itemRequests())
				keys, cp2 := read(cp1)
				sameKeys(t, "run 2", keys, tc.run2)
				if want := fmt.Sprintf(`{"cursor":%q,"ties":["10","3"]}`, at(9)); string(cp2) != want {
					t.Fatalf("run 2 checkpoint = %s, want %s", cp2, want)
				}
				sent := api.itemRequests()[before].query.Get("updated_since")
				if wantSent := map[bool]string{true: at(7), false: ""}[tc.cursorParam]; sent != wantSent {
					t.Errorf("run 2 sent updated_since=%q, want %q", sent, wantSent)
				}

				keys, cp3 := read(cp2)
				sameKeys(t, "run 3", keys, nil)
				if string(cp3) != string(cp2) {
					t.Errorf("run 3 checkpoint = %s, want it unchanged %s", cp3, cp2)
				}
			}
		})
	}
}

// TestLookBack re-reads the window below the checkpoint, ties included,
// and sends the lowered cursor in the checkpoint's own format.
func TestLookBack(t *testing.T) {
	api := newAPI(t, stylePage)
	firstRun(api)
	src := api.open(t, map[string]any{"cursor_param": "updated_since"})
	st := items
	st.LookBack = "3m"
	_, cp1 := readAll(t, src, incremental(st, nil, 3))
	changeData(api)
	before := len(api.itemRequests())
	got, cp2 := readAll(t, src, incremental(st, cp1, 3))
	// Minute 4 and up: 4, 5, 6, then 7, 8, 9 tied at 7, then 3 and 10.
	sameKeys(t, "look-back read", keysOf(got), []string{"4", "5", "6", "7", "8", "9", "3", "10"})
	if sent := api.itemRequests()[before].query.Get("updated_since"); sent != at(4) {
		t.Errorf("sent updated_since=%q, want %q", sent, at(4))
	}
	if want := fmt.Sprintf(`{"cursor":%q,"ties":["10","3"]}`, at(9)); string(cp2) != want {
		t.Errorf("checkpoint = %s, want %s", cp2, want)
	}
}

// TestTiesOverflow: more records at one cursor than a checkpoint keeps
// keys for. The checkpoint says so, and the next read delivers the whole
// tie group again rather than risk skipping one of it.
func TestTiesOverflow(t *testing.T) {
	api := newAPI(t, styleNone)
	const n = 1001
	for i := 1; i <= n; i++ {
		api.upsert(item(int64(i), 5, "bulk import"))
	}
	src := api.open(t, map[string]any{"cursor_param": "updated_since"})
	got, cp := readAll(t, src, incremental(items, nil, 10))
	if len(got) != n {
		t.Fatalf("read %d records, want %d", len(got), n)
	}
	if want := fmt.Sprintf(`{"cursor":%q,"ties_overflow":true}`, at(5)); string(cp) != want {
		t.Fatalf("checkpoint = %s, want %s", cp, want)
	}
	for _, rec := range got {
		if len(rec.Position) > 40_000 {
			t.Fatalf("a position of %d bytes: ties must stay bounded", len(rec.Position))
		}
	}
	again, _ := readAll(t, src, incremental(items, cp, 10))
	if len(again) != n {
		t.Errorf("after an overflow the next read delivered %d records, want all %d again", len(again), n)
	}
}

// TestResumeAfterFailure: a read fails halfway on a permanent error; the
// next read resumes from the last record delivered and the two together
// deliver every record once.
func TestResumeAfterFailure(t *testing.T) {
	for _, style := range []string{stylePage, styleOffset, styleCursor, styleLinkHeader, styleLinkBody} {
		for _, mode := range []connectors.Mode{connectors.Incremental, connectors.FullRefresh} {
			t.Run(fmt.Sprintf("%s/%s", style, mode), func(t *testing.T) {
				api := newAPI(t, style)
				for i := 1; i <= 17; i++ {
					api.upsert(item(int64(i), i/2, "x"))
				}
				api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
					if n == 3 {
						http.Error(w, `{"error":"validation failed"}`, http.StatusBadRequest)
						return true
					}
					return false
				}
				src := api.open(t, map[string]any{"cursor_param": "updated_since"})
				req := connectors.ReadRequest{Stream: items, Mode: mode, PageSize: 4}
				first, _, err := readUpTo(t, src, req, -1)
				var se *httpjson.StatusError
				if !errors.As(err, &se) || se.StatusCode != http.StatusBadRequest {
					t.Fatalf("err = %v, want the 400 of the third page", err)
				}
				if len(first) != 8 {
					t.Fatalf("delivered %d records before the failure, want 8", len(first))
				}
				api.hook = nil
				req.From = first[len(first)-1].Position
				rest, final := readAll(t, src, req)
				sameKeys(t, "both reads", append(keysOf(first), keysOf(rest)...), ids(1, 17))
				if want := fmt.Sprintf(`{"cursor":%q,"ties":["16","17"]}`, at(8)); string(final) != want {
					t.Errorf("final = %s, want %s", final, want)
				}
			})
		}
	}
}

// TestResumeOnMovedPage: the page a read resumes on has changed; the read
// finds its last record wherever it went, or if it is gone delivers the
// page again rather than skip any of it.
func TestResumeOnMovedPage(t *testing.T) {
	api := newAPI(t, styleOffset)
	api.sorted = false
	for i := 1; i <= 9; i++ {
		api.upsert(item(int64(i*10), i, "x"))
	}
	src := api.open(t, nil)
	first, _, err := readUpTo(t, src, fullRefresh(items, nil, 3), 5) // 10..50; 50 is second on page 2
	if err != nil {
		t.Fatal(err)
	}
	pos := first[4].Position

	// A new record sorts before 50: page 2 (offset 3) is now 35, 40, 50.
	api.upsert(item(35, 20, "new"))
	rest, _ := readAll(t, src, fullRefresh(items, pos, 3))
	sameKeys(t, "after an insert", keysOf(rest), []string{"60", "70", "80", "90"})

	// 50 is gone: page 2 is delivered again from its start.
	api.set()
	for _, id := range []int64{10, 20, 30, 40, 60, 70, 80, 90} {
		api.upsert(item(id, 1, "x"))
	}
	rest, _ = readAll(t, src, fullRefresh(items, pos, 3))
	sameKeys(t, "after a delete", keysOf(rest), []string{"40", "60", "70", "80", "90"})
}

// TestCheckpointRefusals: checkpoints that can not be resumed fail the
// read with ErrCheckpoint instead of guessing.
func TestCheckpointRefusals(t *testing.T) {
	api := newAPI(t, stylePage)
	firstRun(api)
	src := api.open(t, nil)
	recs, _, err := readUpTo(t, src, fullRefresh(items, nil, 3), 4)
	if err != nil {
		t.Fatal(err)
	}
	fullPos := recs[3].Position
	tests := []struct {
		name string
		req  connectors.ReadRequest
		want string
	}{
		{"unfinished full refresh read incrementally", incremental(items, fullPos, 3), "unfinished full refresh"},
		{"unknown field", incremental(items, []byte(`{"cursor":"1","position":3}`), 3), "unknown field"},
		{"other pagination type", incremental(items, []byte(`{"read":{"offset":3,"next":1,"last_key":"1"}}`), 3), "pagination type offset"},
		{"unsorted ties", incremental(items, []byte(`{"cursor":"1","ties":["b","a"]}`), 3), "not sorted"},
		{"ties without cursor", incremental(items, []byte(`{"ties":["a"]}`), 3), "without a cursor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := src.Read(t.Context(), tc.req)
			if !errors.Is(err, httpjson.ErrCheckpoint) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrCheckpoint mentioning %q", err, tc.want)
			}
		})
	}
}

// TestCursorKindChanged: an API that switches its cursor from numbers to
// timestamps fails the read instead of comparing apples with pears.
func TestCursorKindChanged(t *testing.T) {
	api := newAPI(t, stylePage)
	firstRun(api)
	src := api.open(t, nil)
	_, _, err := readUpTo(t, src, incremental(items, []byte(`{"cursor":"1714550400","ties":["1"]}`), 5), -1)
	if err == nil || !strings.Contains(err.Error(), "changed the cursor's format") {
		t.Fatalf("err = %v, want a cursor format error", err)
	}
}

// TestNullCursor: records without a cursor value are delivered, marked,
// and do not move the checkpoint.
func TestNullCursor(t *testing.T) {
	api := newAPI(t, styleNone)
	api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
		fmt.Fprint(w, `{"data":{"items":[{"id":1,"updated_at":null},{"id":2,"updated_at":"2024-05-01T08:00:00Z"},{"id":3},{"id":4,"updated_at":""}]}}`)
		return true
	}
	src := api.open(t, nil)
	got, final := readAll(t, src, incremental(items, nil, 10))
	var nulls []string
	for _, r := range got {
		if r.NullCursor {
			nulls = append(nulls, r.Key)
		}
	}
	sameKeys(t, "null cursors", nulls, []string{"1", "3", "4"})
	var cp struct{ Cursor string }
	if err := json.Unmarshal(final, &cp); err != nil || cp.Cursor != "2024-05-01T08:00:00Z" {
		t.Errorf("final = %s", final)
	}
	if !slices.Equal(keysOf(got), ids(1, 4)) {
		t.Errorf("keys = %v", keysOf(got))
	}
}
