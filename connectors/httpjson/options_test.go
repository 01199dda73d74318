package httpjson_test

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/httpjson"
)

// base is a valid set of options that cases change one thing in.
func base() map[string]any {
	return map[string]any{
		"base_url":     "https://api.example.gov.vn/v1",
		"records_path": "data",
		"pagination":   map[string]any{"type": "page"},
	}
}

func with(changes map[string]any) map[string]any {
	o := base()
	for k, v := range changes {
		if v == nil {
			delete(o, k)
			continue
		}
		o[k] = v
	}
	return o
}

// TestOptionErrors: every invalid option is refused with an error naming
// it; valid ones open.
func TestOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		opts map[string]any
		// want is a substring of the error, "" for valid options.
		want string
	}{
		{"valid", base(), ""},
		{"unknown top-level option", with(map[string]any{"paginaton": map[string]any{}}), `unknown option "paginaton"`},
		{"unknown nested option", with(map[string]any{"pagination": map[string]any{"type": "page", "pge_param": "p"}}), `unknown option "pagination.pge_param"`},
		{"unknown stream option", with(map[string]any{"streams": map[string]any{"births": map[string]any{"path": "x"}}}), `unknown option "streams.births.path"`},
		{"missing base_url", with(map[string]any{"base_url": nil}), `option "base_url": missing`},
		{"base_url with password", with(map[string]any{"base_url": "https://u:p@api.example/v1"}), `option "base_url": must not hold a user or password`},
		{"base_url with query", with(map[string]any{"base_url": "https://api.example/v1?key=1"}), `option "base_url": must not hold a query string`},
		{"base_url not http", with(map[string]any{"base_url": "ftp://api.example/"}), `option "base_url": want an absolute http or https URL`},
		{"wrong type", with(map[string]any{"rate_limit": "fast"}), `option "rate_limit": want a number, got "fast"`},
		{"negative rate", with(map[string]any{"rate_limit": -1}), `option "rate_limit": must not be negative`},
		{"bad size", with(map[string]any{"max_response_bytes": "32MB"}), `option "max_response_bytes": want a size in bytes`},
		{"bad duration", with(map[string]any{"retry": map[string]any{"wait_min": 5}}), `option "retry.wait_min": want a duration`},
		{"wait_max below wait_min", with(map[string]any{"retry": map[string]any{"wait_min": "10s", "wait_max": "1s"}}), `option "retry.wait_max": is less than wait_min`},
		{"secret in headers", with(map[string]any{"headers": map[string]any{"authorization": "Bearer x"}}), `option "headers.authorization": looks like a credential`},
		{"API key in headers", with(map[string]any{"headers": map[string]any{"X-Api-Key": "abc"}}), `option "headers.X-Api-Key": looks like a credential`},
		{"API key in query", with(map[string]any{"streams": map[string]any{"b": map[string]any{"query": map[string]any{"api_key": "abc"}}}}), `option "streams.b.query.api_key": looks like a credential`},
		{"ordinary query names", with(map[string]any{"query": map[string]any{"district_code": "x", "sort_key": "y"}}), ""},
		{"unknown auth type", with(map[string]any{"auth": map[string]any{"type": "kerberos"}}), `option "auth.type": unknown auth type "kerberos"`},
		{"auth option of another type", with(map[string]any{"auth": map[string]any{"type": "bearer", "username": "x"}}), `option "auth.username": does not apply to auth type "bearer"`},
		{"basic without user", with(map[string]any{"auth": map[string]any{"type": "basic"}}), `option "auth.username": missing`},
		{"api key header and param", with(map[string]any{"auth": map[string]any{"type": "api_key", "header": "X-K", "param": "k"}}), `option "auth.param": set only one`},
		{"oauth2 without token_url", with(map[string]any{"auth": map[string]any{"type": "oauth2", "client_id": "c"}}), `option "auth.token_url": missing`},
		{"oauth2 bad client_auth", with(map[string]any{"auth": map[string]any{"type": "oauth2", "client_id": "c", "token_url": "https://sso/t", "client_auth": "jwt"}}), `option "auth.client_auth": unknown value "jwt"`},
		{"secret over http", with(map[string]any{"base_url": "http://10.0.0.5/api", "auth": map[string]any{"type": "bearer"}}), `option "base_url": sends the secret over plain http`},
		{"secret over http allowed", with(map[string]any{"base_url": "http://10.0.0.5/api", "allow_http": true, "allow_networks": []any{"10.0.0.0/8"}, "auth": map[string]any{"type": "bearer"}}), ""},
		{"private address not listed", with(map[string]any{"base_url": "https://10.20.0.5/api"}), `option "base_url": connection to 10.20.0.5 refused: 10.20.0.5 is private (10.0.0.0/8); if the API really lives there, list its network in options.allow_networks, e.g. [10.20.0.0/16]`},
		{"private address listed", with(map[string]any{"base_url": "https://10.20.0.5/api", "allow_networks": []any{"10.20.0.0/16"}}), ""},
		{"metadata address even if listed", with(map[string]any{"base_url": "http://169.254.169.254/latest", "allow_networks": []any{"169.254.0.0/16"}}), `option "base_url": connection to 169.254.169.254 refused: 169.254.169.254 is a cloud metadata service (169.254.169.254/32), which is never allowed, even though options.allow_networks lists 169.254.0.0/16`},
		{"IPv6 loopback token URL", with(map[string]any{"auth": map[string]any{"type": "oauth2", "client_id": "c", "token_url": "https://[::1]:8443/t"}}), `option "auth.token_url": connection to ::1 refused: ::1 is loopback`},
		{"bad network", with(map[string]any{"allow_networks": []any{"10.20.0.1/16"}}), `option "allow_networks": item 0: "10.20.0.1/16" has host bits set; did you mean 10.20.0.0/16?`},
		{"network not a list", with(map[string]any{"allow_networks": "10.20.0.0/16"}), `option "allow_networks": want a list of strings`},
		{"unknown redirect policy", with(map[string]any{"redirects": "follow"}), `option "redirects": unknown value "follow": use same_origin (the default), same_host, none or any`},
		{"redirect policy", with(map[string]any{"redirects": "same_host"}), ""},
		{"missing pagination", with(map[string]any{"pagination": nil, "streams": map[string]any{"births": map[string]any{}}}), `option "streams.births.pagination": missing`},
		{"pagination per stream only", with(map[string]any{"pagination": nil, "streams": map[string]any{"births": map[string]any{"pagination": map[string]any{"type": "none"}}}}), ""},
		{"unknown pagination type", with(map[string]any{"pagination": map[string]any{"type": "pages"}}), `option "pagination.type": unknown pagination type "pages"`},
		{"pagination key of another type", with(map[string]any{"pagination": map[string]any{"type": "offset", "page_param": "p"}}), `option "pagination.page_param": does not apply to pagination type "offset"`},
		{"cursor without token_path", with(map[string]any{"pagination": map[string]any{"type": "cursor", "token_param": "c"}}), `option "pagination.token_path": missing`},
		{"cursor without records_path", with(map[string]any{"records_path": nil, "pagination": map[string]any{"type": "cursor", "token_path": "next", "token_param": "c"}}), `option "records_path": pagination type cursor reads the next page from the body`},
		{"short_page_ends without size", with(map[string]any{"pagination": map[string]any{"type": "page", "short_page_ends": true}}), `option "pagination.short_page_ends": needs size_param and size`},
		{"size zero", with(map[string]any{"pagination": map[string]any{"type": "page", "size": 0}}), `option "pagination.size": want 1 to 1000000`},
		{"empty part in path", with(map[string]any{"records_path": "data..items"}), `option "records_path": path "data..items" has an empty part`},
		{"discover path with query", with(map[string]any{"discover": []any{"births?x=1"}}), `option "discover[0]"`},
		{"query value a list", with(map[string]any{"query": map[string]any{"tinh": []any{1}}}), `option "query.tinh": want a string, number or boolean`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, err := connectors.Open(context.Background(), connectors.Config{Name: "s", Kind: "httpjson", Options: tc.opts, DSN: secretFor(tc.opts)})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("valid options refused: %v", err)
				}
				src.Close()
				return
			}
			if err == nil {
				src.Close()
				t.Fatalf("options accepted, want an error with %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// secretFor gives options that name an auth type the secret they need.
func secretFor(o map[string]any) string {
	if a, ok := o["auth"].(map[string]any); ok && a["type"] != "none" {
		return "some-secret"
	}
	return ""
}

// TestSecretChecks matches the secret to the auth type.
func TestSecretChecks(t *testing.T) {
	tests := []struct {
		name   string
		auth   map[string]any
		secret string
		want   string
	}{
		{"secret without auth", nil, "s3cret-token", "auth.type is none"},
		{"bearer without secret", map[string]any{"type": "bearer"}, "", "needs the bearer token"},
		{"secret too short", map[string]any{"type": "bearer"}, "abc", "too short"},
		{"ok", map[string]any{"type": "bearer"}, "s3cret-token", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := base()
			if tc.auth != nil {
				o["auth"] = tc.auth
			}
			_, err := httpjson.Open(context.Background(), connectors.Config{Name: "s", Kind: "httpjson", Options: o, DSN: tc.secret})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if err != nil && tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
				t.Fatalf("error shows the secret: %v", err)
			}
		})
	}
}

// TestDocExample decodes the YAML example of the package doc through the
// YAML library the configuration uses, so the documented options stay
// valid.
func TestDocExample(t *testing.T) {
	const example = `
base_url: https://api.sotuphap.hatinh.gov.vn/v1
allow_http: false
allow_networks: [10.20.0.0/16]
redirects: same_origin
headers: {Accept-Language: vi}
auth:
  type: oauth2
  token_url: https://sso.hatinh.gov.vn/oauth2/token
  client_id: lienthong
  scopes: [hotich.read]
  client_auth: basic
rate_limit: 5
max_response_bytes: 32MiB
retry:
  max: 5
  wait_min: 1s
  wait_max: 30s
  max_retry_after: 2m
discover: [ho-tich/khai-sinh]
records_path: data.items
query: {tinh: "42"}
cursor_param: updated_since
flatten: false
pagination:
  type: page
  page_param: page
  start: 1
  size_param: page_size
  size: 100
  short_page_ends: false
streams:
  khai-sinh:
    records_path: items
    query: {loai: khai_sinh}
    pagination: {type: cursor, token_path: next, token_param: after, size_param: limit, size: 500}
`
	var opts map[string]any
	if err := yaml.UnmarshalWithOptions([]byte(example), &opts, yaml.Strict()); err != nil {
		t.Fatal(err)
	}
	if err := httpjson.DecodeOptions(maps.Clone(opts)); err != nil {
		t.Fatalf("the documented example is refused: %v", err)
	}
}
