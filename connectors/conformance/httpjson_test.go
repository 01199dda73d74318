package conformance_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/conformance"
	_ "github.com/lienthong/lienthong/connectors/httpjson"
)

// apiToken is the bearer token the peer's API demands: the source's
// secret, which a configuration resolves from dsn_env into the DSN.
const apiToken = "conformance-token-7f3a91"

// apiOptions are the source's options as a department's lienthong.yaml
// writes them; %s is the test server's URL. The page size is left to the
// stream's page_size, which is the suite's.
const apiOptions = `
base_url: %s/api/v1
allow_networks: [127.0.0.0/8]   # the test server listens on loopback
auth:
  type: bearer
headers: {Accept-Language: vi}
records_path: data.items
cursor_param: updated_since
pagination:
  type: page
  page_param: page
  start: 1
  size_param: page_size
`

// ict is Vietnam's time zone, in which the API prints its timestamps.
var ict = time.FixedZone("ICT", 7*60*60)

// apiPeer is a department REST API: rows as JSON objects paged by page
// number, filtered by updated_since (>=) and ordered by (updated_at, id).
// Rows whose updated_at is null are returned last, by id, whatever
// updated_since says (WHERE updated_at >= $1 OR updated_at IS NULL), as a
// database-backed API that cannot place them does.
type apiPeer struct {
	srv *httptest.Server

	mu   sync.Mutex
	rows map[string]conformance.Row
}

func newAPIPeer(t *testing.T) conformance.Peer {
	p := &apiPeer{rows: map[string]conformance.Row{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// Caps: the connector delivers null-cursor records with NullCursor set
// whenever the API returns them, and this API returns them on every read,
// so NullCursor holds. A full refresh reads every page unfiltered, so
// deletions show as absence. A record resumes by page and key, exactly.
func (p *apiPeer) Caps() conformance.Caps {
	return conformance.Caps{NullCursor: true, FullRefresh: true, Updates: true}
}

func (p *apiPeer) Open(t *testing.T, _ int) (connectors.Source, connectors.Stream) {
	t.Helper()
	var opts map[string]any
	if err := yaml.Unmarshal(fmt.Appendf(nil, apiOptions, p.srv.URL), &opts); err != nil {
		t.Fatal(err)
	}
	src, err := connectors.Open(context.Background(), connectors.Config{Name: "peer", Kind: "httpjson", DSN: apiToken,
		Options: opts, Timeout: 10 * time.Second, Log: peerLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	return src, connectors.Stream{Name: "people", Table: "people", PrimaryKey: []string{"id"}, Cursor: "updated_at"}
}

func (p *apiPeer) Put(t *testing.T, rows ...conformance.Row) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range rows {
		p.rows[r.ID] = r
	}
}

func (p *apiPeer) Delete(t *testing.T, ids ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		delete(p.rows, id)
	}
}

// apiRecord is a row as the API sends it.
type apiRecord struct {
	ID        int        `json:"id"`
	Name      string     `json:"name"`
	Place     string     `json:"place"`
	UpdatedAt *time.Time `json:"updated_at"`
}

// serve answers GET /api/v1/people?page=N&page_size=S[&updated_since=T].
// It is strict, so that a request the connector gets wrong fails the
// scenario instead of being guessed at.
func (p *apiPeer) serve(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, format string, args ...any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]string{"error": fmt.Sprintf(format, args...)})
	}
	switch {
	case r.URL.Path != "/api/v1/people":
		fail(http.StatusNotFound, "no such path %s", r.URL.Path)
		return
	case r.Method != http.MethodGet:
		fail(http.StatusMethodNotAllowed, "method %s", r.Method)
		return
	case r.Header.Get("Authorization") != "Bearer "+apiToken:
		fail(http.StatusUnauthorized, "missing or wrong bearer token")
		return
	}
	q := r.URL.Query()
	for k := range q {
		if k != "page" && k != "page_size" && k != "updated_since" {
			fail(http.StatusBadRequest, "unknown parameter %q", k)
			return
		}
	}
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		fail(http.StatusBadRequest, "page %q is not a page number from 1", q.Get("page"))
		return
	}
	size, err := strconv.Atoi(q.Get("page_size"))
	if err != nil || size < 1 || size > 100 {
		fail(http.StatusBadRequest, "page_size %q is not a number from 1 to 100", q.Get("page_size"))
		return
	}
	var since *time.Time
	if q.Has("updated_since") {
		s, err := time.Parse(time.RFC3339Nano, q.Get("updated_since"))
		if err != nil {
			fail(http.StatusBadRequest, "updated_since: %v", err)
			return
		}
		since = &s
	}

	p.mu.Lock()
	var list []apiRecord
	for _, row := range p.rows {
		id, err := strconv.Atoi(row.ID)
		if err != nil {
			p.mu.Unlock()
			fail(http.StatusInternalServerError, "id %q", row.ID)
			return
		}
		rec := apiRecord{ID: id, Name: row.Name, Place: row.Place}
		if !row.NullCursor {
			at := epoch.Add(time.Duration(row.Cursor) * time.Second).In(ict)
			if since != nil && at.Before(*since) {
				continue
			}
			rec.UpdatedAt = &at
		}
		list = append(list, rec)
	}
	p.mu.Unlock()
	slices.SortFunc(list, func(a, b apiRecord) int {
		switch {
		case a.UpdatedAt == nil && b.UpdatedAt == nil:
		case a.UpdatedAt == nil:
			return 1
		case b.UpdatedAt == nil:
			return -1
		default:
			if c := a.UpdatedAt.Compare(*b.UpdatedAt); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.ID, b.ID)
	})
	from := min((page-1)*size, len(list))
	items := list[from:min(from+size, len(list))]
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{
		"items": items, "page": page, "page_size": size, "total": len(list)}})
}
