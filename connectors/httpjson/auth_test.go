package httpjson_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/httpjson"
)

const clientSecret = "cl13nt-s3cr3t/+=?"

// tokenServer is an OAuth2 token endpoint on the fake API that issues
// tok-1, tok-2, ... and an items endpoint that accepts only valid ones.
type tokenServer struct {
	mu        sync.Mutex
	issued    int
	valid     map[string]bool
	expiresIn any
	// forms are the token requests' forms; auths their Authorization.
	forms []string
	auths []string
}

func newTokenServer(api *fakeAPI, expiresIn any) *tokenServer {
	ts := &tokenServer{valid: map[string]bool{}, expiresIn: expiresIn}
	api.extra["/oauth2/token"] = func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		user, pass, _ := r.BasicAuth()
		if r.PostForm.Get("grant_type") != "client_credentials" || user != "lienthong" || pass != "cl13nt-s3cr3t%2F%2B%3D%3F" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		ts.mu.Lock()
		ts.issued++
		tok := fmt.Sprintf("tok-%d-%s", ts.issued, strings.Repeat("x", 8))
		ts.valid[tok] = true
		ts.forms = append(ts.forms, r.PostForm.Encode())
		ts.auths = append(ts.auths, r.Header.Get("Authorization"))
		ts.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": ts.expiresIn})
	}
	api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		ts.mu.Lock()
		ok := ts.valid[tok]
		ts.mu.Unlock()
		if !ok {
			http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
			return true
		}
		return false
	}
	return ts
}

func (ts *tokenServer) revokeAll() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	clear(ts.valid)
}

func (ts *tokenServer) count() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.issued
}

func openOAuth(t *testing.T, api *fakeAPI) connectors.Source {
	t.Helper()
	src, err := connectors.Open(t.Context(), connectors.Config{Name: "oauth", Kind: "httpjson", DSN: clientSecret,
		Options: api.options(map[string]any{"auth": map[string]any{"type": "oauth2", "token_url": api.srv.URL + "/oauth2/token",
			"client_id": "lienthong", "scopes": []any{"hotich.read", "hotich.list"}}}), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// TestOAuth2 fetches one token for many pages and reads, renews it when it
// expires, fetches a new one once when the API refuses it, and fails when
// the API refuses the new one too.
func TestOAuth2(t *testing.T) {
	setup := func(t *testing.T, expiresIn any) (*fakeAPI, *tokenServer, connectors.Source) {
		api := newAPI(t, stylePage)
		for i := 1; i <= 7; i++ {
			api.upsert(item(int64(i), i, "x"))
		}
		ts := newTokenServer(api, expiresIn)
		return api, ts, openOAuth(t, api)
	}

	t.Run("cached across pages and reads", func(t *testing.T) {
		api, ts, src := setup(t, 3600)
		for range 2 {
			got, _ := readAll(t, src, fullRefresh(items, nil, 2))
			sameKeys(t, "read", keysOf(got), ids(1, 7))
		}
		if ts.count() != 1 {
			t.Errorf("%d token requests for %d page requests, want 1", ts.count(), len(api.itemRequests()))
		}
		if want := "grant_type=client_credentials&scope=hotich.read+hotich.list"; ts.forms[0] != want {
			t.Errorf("token form = %s, want %s", ts.forms[0], want)
		}
		for _, h := range api.itemRequests() {
			if !strings.HasPrefix(h.auth, "Bearer tok-1-") {
				t.Fatalf("page request authorised with %q", h.auth)
			}
		}
	})

	t.Run("renewed after expiry", func(t *testing.T) {
		_, ts, src := setup(t, 3600)
		now := time.Now()
		var mu sync.Mutex
		httpjson.SetClock(src, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
		advance := func(d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(d)
		}
		readAll(t, src, fullRefresh(items, nil, 2))
		advance(58 * time.Minute)
		readAll(t, src, fullRefresh(items, nil, 2))
		if ts.count() != 1 {
			t.Errorf("%d token requests at 58 minutes of 60, want 1", ts.count())
		}
		advance(90 * time.Second) // in the last minute: renewed early
		readAll(t, src, fullRefresh(items, nil, 2))
		if ts.count() != 2 {
			t.Errorf("%d token requests after expiry, want 2: one renewal", ts.count())
		}
	})

	t.Run("expires_in as a string", func(t *testing.T) {
		_, ts, src := setup(t, "3600")
		readAll(t, src, fullRefresh(items, nil, 2))
		readAll(t, src, fullRefresh(items, nil, 2))
		if ts.count() != 1 {
			t.Errorf("%d token requests, want 1", ts.count())
		}
	})

	t.Run("refreshed once on 401", func(t *testing.T) {
		api, ts, src := setup(t, 3600)
		r, err := src.Read(t.Context(), fullRefresh(items, nil, 2))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var keys []string
		for {
			rec, err := r.Next(t.Context())
			if errors.Is(err, connectors.ErrEndOfStream) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, rec.Key)
			if len(keys) == 3 {
				ts.revokeAll() // the department rotates its keys mid-read
			}
		}
		sameKeys(t, "read", keys, ids(1, 7))
		if ts.count() != 2 {
			t.Errorf("%d token requests, want 2", ts.count())
		}
		if n := len(api.itemRequests()); n != 6 {
			t.Errorf("%d page requests, want 5 and the one refused", n)
		}
	})

	t.Run("refused twice", func(t *testing.T) {
		api, ts, src := setup(t, 3600)
		api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
			http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
			return true
		}
		_, _, err := readUpTo(t, src, fullRefresh(items, nil, 2), -1)
		var se *httpjson.StatusError
		if !errors.As(err, &se) || se.StatusCode != http.StatusUnauthorized {
			t.Fatalf("err = %v, want a 401", err)
		}
		if ts.count() != 2 || len(api.itemRequests()) != 2 {
			t.Errorf("%d token and %d page requests, want 2 and 2", ts.count(), len(api.itemRequests()))
		}
		if msg := err.Error(); strings.Contains(msg, "tok-") || strings.Contains(msg, clientSecret) {
			t.Errorf("error shows a credential: %s", msg)
		}
	})

	t.Run("wrong client secret", func(t *testing.T) {
		api := newAPI(t, stylePage)
		newTokenServer(api, 3600)
		src, err := connectors.Open(t.Context(), connectors.Config{Name: "oauth", Kind: "httpjson", DSN: "wrong-secret",
			Options: api.options(map[string]any{"auth": map[string]any{"type": "oauth2", "token_url": api.srv.URL + "/oauth2/token",
				"client_id": "lienthong"}})})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		err = src.Check(t.Context(), items)
		if err == nil || !strings.Contains(err.Error(), "get an OAuth2 token") || !strings.Contains(err.Error(), "check auth.client_id") ||
			strings.Contains(err.Error(), "wrong-secret") {
			t.Fatalf("err = %v, want the token failure explained without the secret", err)
		}
	})
}

// TestStaticAuth sends the secret the way each auth type says, and only
// there.
func TestStaticAuth(t *testing.T) {
	const secret = "t0ken-ABC-123"
	tests := []struct {
		name  string
		auth  map[string]any
		check func(r *http.Request) bool
	}{
		{"bearer", map[string]any{"type": "bearer"}, func(r *http.Request) bool {
			return r.Header.Get("Authorization") == "Bearer "+secret
		}},
		{"basic", map[string]any{"type": "basic", "username": "sở-tư-pháp"}, func(r *http.Request) bool {
			u, p, ok := r.BasicAuth()
			return ok && u == "sở-tư-pháp" && p == secret
		}},
		{"api key header", map[string]any{"type": "api_key", "header": "X-Api-Key"}, func(r *http.Request) bool {
			return r.Header.Get("X-Api-Key") == secret && r.URL.Query().Get("api_key") == ""
		}},
		{"api key default header", map[string]any{"type": "api_key"}, func(r *http.Request) bool {
			return r.Header.Get("X-API-Key") == secret
		}},
		{"api key param", map[string]any{"type": "api_key", "param": "api_key"}, func(r *http.Request) bool {
			return r.URL.Query().Get("api_key") == secret && r.Header.Get("Authorization") == ""
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := newAPI(t, styleLinkHeader)
			for i := 1; i <= 5; i++ {
				api.upsert(item(int64(i), i, "x"))
			}
			var bad []string
			api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
				if !tc.check(r) || r.Header.Get("User-Agent") == "" {
					bad = append(bad, r.URL.String())
					http.Error(w, "denied", http.StatusUnauthorized)
					return true
				}
				return false
			}
			src, err := connectors.Open(t.Context(), connectors.Config{Name: "static", Kind: "httpjson", DSN: secret,
				Options: api.options(map[string]any{"auth": tc.auth, "headers": map[string]any{"Accept-Language": "vi"}})})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			recs, _, err := readUpTo(t, src, fullRefresh(items, nil, 2), -1)
			if err != nil {
				t.Fatalf("read: %v (refused: %v)", err, bad)
			}
			sameKeys(t, "read", keysOf(recs), ids(1, 5))
			for _, rec := range recs {
				if strings.Contains(string(rec.Position), secret) {
					t.Fatalf("a checkpoint holds the secret: %s", rec.Position)
				}
			}
		})
	}
}

// TestBasicHeaderEncoding guards the RFC 6749 client authentication: id and
// secret are form-encoded before the Basic encoding.
func TestBasicHeaderEncoding(t *testing.T) {
	api := newAPI(t, stylePage)
	ts := newTokenServer(api, 60)
	src := openOAuth(t, api)
	if err := src.Check(t.Context(), items); err != nil {
		t.Fatal(err)
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("lienthong:cl13nt-s3cr3t%2F%2B%3D%3F"))
	if ts.auths[0] != want {
		t.Errorf("token request Authorization = %q, want %q", ts.auths[0], want)
	}
}
