package httpjson_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/httpjson"
	"github.com/lienthong/lienthong/internal/netguard"
)

const bearerToken = "b34rer-T0KEN-5c1d"

// received is one request a redirect target got.
type received struct {
	host   string
	query  string
	header http.Header
}

// landing is where a redirect lands: it records every request and
// answers one page with one record, then an empty page.
type landing struct {
	mu  sync.Mutex
	got []received
}

func (l *landing) serve(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	l.got = append(l.got, received{host: r.Host, query: r.URL.RawQuery, header: r.Header.Clone()})
	l.mu.Unlock()
	items := "[]"
	if p := r.URL.Query().Get("page"); p == "" || p == "1" {
		items = fmt.Sprintf(`[{"id":1,"updated_at":%q}]`, at(1))
	}
	fmt.Fprintf(w, `{"data":{"items":%s}}`, items)
}

func (l *landing) requests() []received {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]received(nil), l.got...)
}

// newLanding starts a landing server of its own: another port, so
// another origin.
func newLanding(t *testing.T) (*landing, *httptest.Server) {
	l := &landing{}
	srv := httptest.NewServer(http.HandlerFunc(l.serve))
	t.Cleanup(srv.Close)
	return l, srv
}

// redirectItems makes the API answer every items request with a 307 to
// target, query kept (as an API behind a moved path does, echoing an API
// key parameter too).
func redirectItems(api *fakeAPI, target string) {
	api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
		http.Redirect(w, r, target+"?"+r.URL.RawQuery, http.StatusTemporaryRedirect)
		return true
	}
}

func openWith(t *testing.T, opts map[string]any, secret string, log *slog.Logger) connectors.Source {
	t.Helper()
	src, err := connectors.Open(t.Context(), connectors.Config{Name: "guarded", Kind: "httpjson", DSN: secret,
		Options: opts, Timeout: 5 * time.Second, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// TestRedirectPolicy: by default a redirect is followed only within the
// origin (scheme, host, port); redirects widens that, and credentials
// reach only the origin whatever it allows.
func TestRedirectPolicy(t *testing.T) {
	tests := []struct {
		name   string
		policy string // "" is the default
		// to is where the API redirects: "path" (same origin), "port"
		// (127.0.0.1, another port) or "host" (localhost, same port).
		to       string
		followed bool
	}{
		{"same origin by default", "", "path", true},
		{"another port refused by default", "", "port", false},
		{"another host refused by default", "", "host", false},
		{"another port with same_host", "same_host", "port", true},
		{"another host with same_host", "same_host", "host", false},
		{"another port with any", "any", "port", true},
		{"another host with any", "any", "host", true},
		{"same origin with none", "none", "path", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := newAPI(t, stylePage)
			here := &landing{}
			api.extra["/api/v1/moved"] = here.serve
			away, awaySrv := newLanding(t)
			target, land := api.srv.URL+"/api/v1/moved", here
			switch tc.to {
			case "port":
				target, land = awaySrv.URL+"/moved", away
			case "host":
				target = strings.Replace(api.srv.URL, "127.0.0.1", "localhost", 1) + "/api/v1/moved"
			}
			redirectItems(api, target)
			extra := map[string]any{"auth": map[string]any{"type": "bearer"}}
			if tc.policy != "" {
				extra["redirects"] = tc.policy
			}
			src := openWith(t, api.options(extra), bearerToken, nil)
			recs, _, err := readUpTo(t, src, fullRefresh(items, nil, 3), -1)
			got := land.requests()
			if !tc.followed {
				if !errors.Is(err, httpjson.ErrRedirect) || !strings.Contains(err.Error(), "not followed") {
					t.Fatalf("err = %v, want ErrRedirect", err)
				}
				if len(got) != 0 {
					t.Fatalf("the redirect target got %d requests, want none", len(got))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sameKeys(t, "read", keysOf(recs), []string{"1"})
			if len(got) == 0 {
				t.Fatal("the redirect target got no request")
			}
			wantAuth := ""
			if tc.to == "path" {
				wantAuth = "Bearer " + bearerToken
			}
			for _, r := range got {
				if a := r.header.Get("Authorization"); a != wantAuth {
					t.Errorf("%s got Authorization %q, want %q", r.host, a, wantAuth)
				}
			}
		})
	}
}

// TestCredentialsStayHome: with redirects: any, a redirect to another
// server is followed, but no credential of any kind reaches it: not the
// Authorization header, not an API key header, not an API key parameter
// the Location echoed, not an OAuth2 token.
func TestCredentialsStayHome(t *testing.T) {
	const secret = "s3cret-V4LUE-77aa"
	tests := []struct {
		name string
		auth map[string]any
		// secrets are texts that must not reach the other server.
		secrets []string
	}{
		{"bearer", map[string]any{"type": "bearer"}, []string{secret}},
		{"basic", map[string]any{"type": "basic", "username": "lienthong"},
			[]string{secret, base64.StdEncoding.EncodeToString([]byte("lienthong:" + secret))}},
		{"api key header", map[string]any{"type": "api_key", "header": "X-Api-Key"}, []string{secret}},
		{"api key parameter", map[string]any{"type": "api_key", "param": "api_key"}, []string{secret}},
		{"oauth2", nil, []string{clientSecret, "tok-"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := newAPI(t, stylePage)
			sent := secret
			var ts *tokenServer
			if tc.auth == nil {
				ts = newTokenServer(api, 3600)
				tc.auth = map[string]any{"type": "oauth2", "token_url": api.srv.URL + "/oauth2/token", "client_id": "lienthong"}
				sent = clientSecret
			}
			var home []http.Header
			var homeMu sync.Mutex
			away, awaySrv := newLanding(t)
			api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
				homeMu.Lock()
				home = append(home, r.Header.Clone())
				homeMu.Unlock()
				http.Redirect(w, r, awaySrv.URL+"/moved?"+r.URL.RawQuery, http.StatusTemporaryRedirect)
				return true
			}
			src := openWith(t, api.options(map[string]any{"auth": tc.auth, "redirects": "any"}), sent, nil)
			if _, _, err := readUpTo(t, src, fullRefresh(items, nil, 3), -1); err != nil {
				t.Fatal(err)
			}
			got := away.requests()
			if len(got) == 0 || len(home) == 0 {
				t.Fatalf("%d requests home, %d away; want both", len(home), len(got))
			}
			// The origin did get the credential: its absence away is the
			// connector's doing.
			if h := home[0]; h.Get("Authorization") == "" && h.Get("X-Api-Key") == "" && tc.auth["param"] == nil {
				t.Fatalf("the origin got no credential: %v", h)
			}
			if ts != nil && ts.count() == 0 {
				t.Fatal("no token was fetched")
			}
			for _, r := range got {
				if len(r.header.Values("Authorization")) > 0 {
					t.Errorf("the other server got Authorization %q", r.header.Get("Authorization"))
				}
				var all strings.Builder
				fmt.Fprintf(&all, "%s\n", r.query)
				for k, vs := range r.header {
					fmt.Fprintf(&all, "%s: %s\n", k, strings.Join(vs, ", "))
				}
				for _, s := range tc.secrets {
					if strings.Contains(all.String(), s) {
						t.Errorf("the other server got %q in:\n%s", s, all.String())
					}
				}
			}
		})
	}
}

// TestTokenRequestRedirect: the OAuth2 token request, which carries the
// client secret, follows no redirect off its origin, even with redirects:
// any.
func TestTokenRequestRedirect(t *testing.T) {
	api := newAPI(t, stylePage)
	away, awaySrv := newLanding(t)
	api.extra["/oauth2/token"] = func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, awaySrv.URL+"/token", http.StatusPermanentRedirect)
	}
	src := openWith(t, api.options(map[string]any{"redirects": "any", "auth": map[string]any{"type": "oauth2",
		"token_url": api.srv.URL + "/oauth2/token", "client_id": "lienthong", "client_auth": "body"}}), clientSecret, nil)
	_, _, err := readUpTo(t, src, fullRefresh(items, nil, 3), -1)
	if !errors.Is(err, httpjson.ErrRedirect) || !strings.Contains(err.Error(), "token request") {
		t.Fatalf("err = %v, want the token redirect refused", err)
	}
	if n := len(away.requests()); n != 0 {
		t.Errorf("the other server got %d token requests, want none", n)
	}
}

// TestNetworkGuard: the address every connection resolves to is judged
// when it is dialled: a DNS name resolving to loopback is refused unless
// allow_networks lists it, the metadata address is refused even when its
// network is listed, and a redirect cannot get round either.
func TestNetworkGuard(t *testing.T) {
	localhost := func(api *fakeAPI) string {
		return strings.Replace(api.srv.URL, "127.0.0.1", "localhost", 1) + "/api/v1"
	}
	t.Run("localhost refused without allow_networks", func(t *testing.T) {
		api := newAPI(t, stylePage)
		api.upsert(item(1, 1, "x"))
		opts := api.options(map[string]any{"base_url": localhost(api)})
		delete(opts, "allow_networks")
		src := openWith(t, opts, "", nil)
		_, _, err := readUpTo(t, src, fullRefresh(items, nil, 3), -1)
		if !errors.Is(err, netguard.ErrRefused) {
			t.Fatalf("err = %v, want netguard.ErrRefused", err)
		}
		for _, w := range []string{"connection to localhost refused: its address 127.0.0.1 is loopback",
			"list its network in options.allow_networks, e.g. [127.0.0.0/8]", "Get http://localhost:"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error lacks %q:\n%v", w, err)
			}
		}
		if strings.Contains(err.Error(), "attempts") {
			t.Errorf("a refused address was retried: %v", err)
		}
		if n := len(api.requests()); n != 0 {
			t.Errorf("the API got %d requests, want none", n)
		}
	})
	t.Run("localhost allowed with 127.0.0.0/8", func(t *testing.T) {
		api := newAPI(t, stylePage)
		api.upsert(item(1, 1, "x"))
		src := openWith(t, api.options(map[string]any{"base_url": localhost(api), "allow_networks": []any{"127.0.0.0/8"}}), "", nil)
		got, _ := readAll(t, src, fullRefresh(items, nil, 3))
		sameKeys(t, "read", keysOf(got), []string{"1"})
	})
	t.Run("loopback literal refused when the source opens", func(t *testing.T) {
		api := newAPI(t, stylePage)
		opts := api.options(nil)
		delete(opts, "allow_networks")
		_, err := connectors.Open(t.Context(), connectors.Config{Name: "s", Kind: "httpjson", Options: opts})
		if err == nil || !strings.Contains(err.Error(), `option "base_url": connection to 127.0.0.1 refused`) {
			t.Fatalf("err = %v, want base_url refused", err)
		}
	})
	for _, tc := range []struct {
		name, to string
		allow    []any
		want     string
	}{
		{"redirect to the metadata address, its network listed", "http://169.254.169.254/latest/meta-data/",
			[]any{"127.0.0.0/8", "169.254.0.0/16"},
			"connection to 169.254.169.254 refused: 169.254.169.254 is a cloud metadata service (169.254.169.254/32), which is never allowed, even though options.allow_networks lists 169.254.0.0/16"},
		{"redirect to the metadata address, IPv4-mapped", "http://[::ffff:169.254.169.254]/latest/",
			[]any{"127.0.0.0/8"}, "connection to ::ffff:169.254.169.254 refused: its address 169.254.169.254 is a cloud metadata service"},
		{"redirect into an unlisted private network", "http://10.255.0.1/api", []any{"127.0.0.0/8"},
			"10.255.0.1 is private (10.0.0.0/8)"},
		{"redirect to 0.0.0.0", "http://0.0.0.0:1/", []any{"0.0.0.0/0"}, "0.0.0.0 is the unspecified network"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := newAPI(t, stylePage)
			redirectItems(api, tc.to)
			var logs bytes.Buffer
			src := openWith(t, api.options(map[string]any{"redirects": "any", "allow_networks": tc.allow}), "",
				slog.New(slog.NewTextHandler(&logs, nil)))
			_, _, err := readUpTo(t, src, fullRefresh(items, nil, 3), -1)
			if !errors.Is(err, netguard.ErrRefused) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want netguard.ErrRefused with %q", err, tc.want)
			}
			if n := len(api.itemRequests()); n != 1 {
				t.Errorf("%d requests, want 1 (a refusal is not retried)", n)
			}
			if strings.Contains(tc.want, "even though") && !strings.Contains(logs.String(), "169.254.0.0/16 lies inside 169.254.0.0/16") {
				t.Errorf("no warning about the useless network in the logs:\n%s", logs.String())
			}
		})
	}
}

// TestTokenURLGuarded: the OAuth2 token endpoint's connection passes the
// same guard: with only the API's address listed, a token_url whose name
// resolves to another loopback address is refused before the secret is
// sent.
func TestTokenURLGuarded(t *testing.T) {
	for _, allowed := range []bool{false, true} {
		t.Run(fmt.Sprint("listed=", allowed), func(t *testing.T) {
			sso := newAPI(t, stylePage) // 127.0.0.1
			ts := newTokenServer(sso, 3600)
			api := newAPIAt(t, stylePage, "127.0.0.2:0")
			api.upsert(item(1, 1, "x"))
			allow := []any{"127.0.0.2/32"}
			if allowed {
				allow = []any{"127.0.0.0/8"}
			}
			tokenURL := strings.Replace(sso.srv.URL, "127.0.0.1", "localhost", 1) + "/oauth2/token"
			src := openWith(t, api.options(map[string]any{"allow_networks": allow, "auth": map[string]any{"type": "oauth2",
				"token_url": tokenURL, "client_id": "lienthong"}}), clientSecret, nil)
			got, _, err := readUpTo(t, src, fullRefresh(items, nil, 3), -1)
			if allowed {
				if err != nil {
					t.Fatal(err)
				}
				sameKeys(t, "read", keysOf(got), []string{"1"})
				return
			}
			if !errors.Is(err, netguard.ErrRefused) || !strings.Contains(err.Error(), "get an OAuth2 token") ||
				!strings.Contains(err.Error(), "connection to localhost refused") {
				t.Fatalf("err = %v, want the token endpoint refused", err)
			}
			if ts.count() != 0 || len(sso.requests()) != 0 || len(api.requests()) != 0 {
				t.Errorf("requests went out: %d tokens, %d to the token server, %d to the API",
					ts.count(), len(sso.requests()), len(api.requests()))
			}
		})
	}
}
