package httpjson_test

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/httpjson"
)

// The pagination styles the fake API speaks.
const (
	stylePage       = "page"
	styleOffset     = "offset"
	styleCursor     = "cursor"
	styleLinkHeader = "link-header"
	styleLinkBody   = "link-body"
	styleNone       = "none"
)

var allStyles = []string{stylePage, styleOffset, styleCursor, styleLinkHeader, styleLinkBody, styleNone}

const (
	itemsPath = "/api/v1/items"
	apiKey    = "k3y-S3CRET-9f8e7d"
)

// hit is one request the fake API received.
type hit struct {
	at    time.Time
	path  string
	query url.Values
	auth  string
}

// fakeAPI is a department API: records served by one pagination style,
// filtered by updated_since (>=), ordered by (updated_at, id) or by id.
// Paging is by position in the filtered list at request time, so a change
// between requests shifts pages as a real offset-paged API does.
type fakeAPI struct {
	t      testing.TB
	srv    *httptest.Server
	style  string
	sorted bool
	// maxSize caps the page size whatever the client asks, as many APIs do.
	maxSize int
	// key, when set, is the API key every request must carry in ?api_key=.
	key string

	mu   sync.Mutex
	recs []map[string]any
	hits []hit
	// hook, when set, answers a request itself by returning true; n counts
	// the requests to the items path from 1.
	hook func(w http.ResponseWriter, r *http.Request, n int) bool
	// extra handlers by path (token endpoints).
	extra map[string]http.HandlerFunc
}

func newAPI(t testing.TB, style string) *fakeAPI {
	return newAPIAt(t, style, "127.0.0.1:0")
}

// newAPIAt starts the fake API listening at addr ("127.0.0.2:0" is
// another loopback address than the other servers').
func newAPIAt(t testing.TB, style, addr string) *fakeAPI {
	a := &fakeAPI{t: t, style: style, sorted: true, extra: map[string]http.HandlerFunc{}}
	a.srv = httptest.NewUnstartedServer(http.HandlerFunc(a.serve))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	a.srv.Listener.Close()
	a.srv.Listener = ln
	a.srv.Start()
	t.Cleanup(a.srv.Close)
	return a
}

// item makes a record; updated is minutes after a fixed instant.
func item(id int64, updated int, name string) map[string]any {
	return map[string]any{"id": id, "updated_at": at(updated), "name": name}
}

func at(minute int) string {
	return time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(minute) * time.Minute).Format(time.RFC3339)
}

func (a *fakeAPI) set(recs ...map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recs = nil
	for _, r := range recs {
		a.recs = append(a.recs, maps.Clone(r))
	}
}

// upsert replaces the record with the same id, or adds it.
func (a *fakeAPI) upsert(recs ...map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range recs {
		i := slices.IndexFunc(a.recs, func(o map[string]any) bool { return o["id"] == r["id"] })
		if i >= 0 {
			a.recs[i] = maps.Clone(r)
		} else {
			a.recs = append(a.recs, maps.Clone(r))
		}
	}
}

func (a *fakeAPI) requests() []hit {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.hits)
}

func (a *fakeAPI) itemRequests() []hit {
	var out []hit
	for _, h := range a.requests() {
		if h.path == itemsPath {
			out = append(out, h)
		}
	}
	return out
}

func (a *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.hits = append(a.hits, hit{at: time.Now(), path: r.URL.Path, query: r.URL.Query(), auth: r.Header.Get("Authorization")})
	n := 0
	for _, h := range a.hits {
		if h.path == itemsPath {
			n++
		}
	}
	hook := a.hook
	a.mu.Unlock()
	if h, ok := a.extra[r.URL.Path]; ok {
		h(w, r)
		return
	}
	if r.URL.Path != itemsPath {
		http.Error(w, `{"error":"no such path"}`, http.StatusNotFound)
		return
	}
	if hook != nil && hook(w, r, n) {
		return
	}
	q := r.URL.Query()
	if a.key != "" && q.Get("api_key") != a.key {
		http.Error(w, `{"error":"bad api key"}`, http.StatusUnauthorized)
		return
	}
	a.mu.Lock()
	recs := slices.Clone(a.recs)
	a.mu.Unlock()
	if since := q.Get("updated_since"); since != "" {
		recs = slices.DeleteFunc(recs, func(m map[string]any) bool { return m["updated_at"].(string) < since })
	}
	slices.SortStableFunc(recs, func(x, y map[string]any) int {
		if a.sorted {
			if c := strings.Compare(x["updated_at"].(string), y["updated_at"].(string)); c != 0 {
				return c
			}
		}
		return cmp.Compare(x["id"].(int64), y["id"].(int64))
	})
	num := func(name string, def int) int {
		v := q.Get(name)
		if v == "" {
			return def
		}
		i, err := strconv.Atoi(v)
		if err != nil {
			a.t.Errorf("fake API: %s=%q is not a number", name, v)
		}
		return i
	}
	size := num("page_size", 10)
	if a.maxSize > 0 && size > a.maxSize {
		size = a.maxSize
	}
	var from int
	switch a.style {
	case stylePage:
		from = (num("page", 1) - 1) * size
	case styleOffset:
		from, size = num("offset", 0), num("limit", 10)
		if a.maxSize > 0 && size > a.maxSize {
			size = a.maxSize
		}
	case styleCursor:
		if tok := q.Get("cursor"); tok != "" {
			b, err := base64.RawURLEncoding.DecodeString(tok)
			if err != nil {
				http.Error(w, `{"error":"bad cursor"}`, http.StatusBadRequest)
				return
			}
			from, _ = strconv.Atoi(strings.TrimPrefix(string(b), "off:"))
		}
	case styleLinkHeader, styleLinkBody:
		from = num("after", 0)
	case styleNone:
		size = len(recs)
	}
	from = min(max(from, 0), len(recs))
	to := min(from+size, len(recs))
	body := map[string]any{"data": map[string]any{"items": recs[from:to]}, "meta": map[string]any{"next": nil}, "links": map[string]any{}}
	if to < len(recs) {
		switch a.style {
		case styleCursor:
			body["meta"] = map[string]any{"next": base64.RawURLEncoding.EncodeToString([]byte("off:" + strconv.Itoa(to)))}
		case styleLinkHeader, styleLinkBody:
			next := *r.URL
			nq := next.Query()
			nq.Set("after", strconv.Itoa(to))
			next.RawQuery = nq.Encode()
			if a.style == styleLinkHeader {
				// Relative, with another link before it, as real APIs send.
				w.Header().Add("Link", `<`+itemsPath+`?page_size=1>; rel="first"`)
				w.Header().Add("Link", fmt.Sprintf(`<%s>; rel="next"`, next.String()))
			} else {
				body["links"] = map[string]any{"next": a.srv.URL + next.String()}
			}
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(body)
}

// options returns source options for the fake API's style; extra entries
// replace the defaults.
func (a *fakeAPI) options(extra map[string]any) map[string]any {
	pag := map[string]any{}
	switch a.style {
	case stylePage:
		pag = map[string]any{"type": "page", "size_param": "page_size"}
	case styleOffset:
		pag = map[string]any{"type": "offset"}
	case styleCursor:
		pag = map[string]any{"type": "cursor", "token_path": "meta.next", "token_param": "cursor", "size_param": "page_size"}
	case styleLinkHeader:
		pag = map[string]any{"type": "link", "size_param": "page_size"}
	case styleLinkBody:
		pag = map[string]any{"type": "link", "next_path": "links.next", "size_param": "page_size"}
	case styleNone:
		pag = map[string]any{"type": "none"}
	}
	o := map[string]any{
		"base_url":     a.srv.URL + "/api/v1",
		"records_path": "data.items",
		"pagination":   pag,
		"retry":        map[string]any{"max": 3, "wait_min": "5ms", "wait_max": "20ms"},
		// The test server listens on loopback.
		"allow_networks": []any{"127.0.0.0/8"},
	}
	if a.key != "" {
		o["auth"] = map[string]any{"type": "api_key", "param": "api_key"}
	}
	maps.Copy(o, extra)
	return o
}

// open opens a source on the fake API through the registry, as the CLI
// does.
func (a *fakeAPI) open(t testing.TB, extra map[string]any) connectors.Source {
	t.Helper()
	secret := ""
	if a.key != "" {
		secret = a.key
	}
	src, err := connectors.Open(t.Context(), connectors.Config{Name: "test-api", Kind: "httpjson", DSN: secret,
		Options: a.options(extra), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

var items = connectors.Stream{Name: "items", Table: "items", PrimaryKey: []string{"id"}, Cursor: "updated_at"}

func incremental(s connectors.Stream, from connectors.Checkpoint, pageSize int) connectors.ReadRequest {
	return connectors.ReadRequest{Stream: s, Mode: connectors.Incremental, From: from, PageSize: pageSize}
}

func fullRefresh(s connectors.Stream, from connectors.Checkpoint, pageSize int) connectors.ReadRequest {
	return connectors.ReadRequest{Stream: s, Mode: connectors.FullRefresh, From: from, PageSize: pageSize}
}

// readAll reads to the end and returns the records and Final.
func readAll(t testing.TB, src connectors.Source, req connectors.ReadRequest) ([]connectors.Record, connectors.Checkpoint) {
	t.Helper()
	recs, final, err := readUpTo(t, src, req, -1)
	if err != nil {
		t.Fatal(err)
	}
	return recs, final
}

// readUpTo reads at most n records (all when n < 0). final is set only if
// the stream ended.
func readUpTo(t testing.TB, src connectors.Source, req connectors.ReadRequest, n int) ([]connectors.Record, connectors.Checkpoint, error) {
	t.Helper()
	// A read that loops or waits forever fails instead of hanging the suite.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	r, err := src.Read(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var recs []connectors.Record
	for n < 0 || len(recs) < n {
		rec, err := r.Next(ctx)
		if errors.Is(err, connectors.ErrEndOfStream) {
			return recs, r.Final(), nil
		}
		if err != nil {
			return recs, nil, err
		}
		recs = append(recs, rec)
	}
	return recs, nil, nil
}

// readInChunks simulates runs killed after every chunk records: each run
// resumes from the last Position handed out.
func readInChunks(t *testing.T, src connectors.Source, req connectors.ReadRequest, chunk int) ([]string, connectors.Checkpoint) {
	t.Helper()
	var got []string
	for run := 0; ; run++ {
		if run > 1000 {
			t.Fatal("chunked reads do not end")
		}
		recs, final, err := readUpTo(t, src, req, chunk)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, keysOf(recs)...)
		if final != nil {
			return got, final
		}
		req.From = recs[len(recs)-1].Position
	}
}

func keysOf(recs []connectors.Record) []string {
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.Key)
	}
	return out
}

func ids(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, strconv.Itoa(i))
	}
	return out
}

func sameKeys(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %d keys %v\nwant %d keys %v", what, len(got), got, len(want), want)
	}
}

// Compile-time check that the test helpers see the package.
var _ = httpjson.Kind
