package httpjson

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxRedirects is how many redirects one request follows, as net/http's
// default; the text of its error is one go-retryablehttp does not retry.
const maxRedirects = 10

// tokenRequestKey marks the context of an OAuth2 token request, whose
// body may hold the client secret.
type tokenRequestKey struct{}

// redirectError is a redirect the source's policy does not follow.
type redirectError struct {
	to, origin, policy string
	token              bool
}

func (e *redirectError) Error() string {
	switch {
	case e.policy == redirectNone:
		return fmt.Sprintf("redirect to %s not followed: options.redirects is none", e.to)
	case e.token:
		return fmt.Sprintf("redirect of the OAuth2 token request to %s not followed: it leaves %s, and the token request, "+
			"which carries the client secret, follows redirects only within its own origin; set auth.token_url to the address it redirects to",
			e.to, e.origin)
	}
	more := "same_host or any"
	if e.policy == redirectSameHost {
		more = "any"
	}
	return fmt.Sprintf("redirect to %s not followed: it leaves %s, and options.redirects is %s "+
		"(set redirects: %s to follow it; credentials are never sent to another origin)", e.to, e.origin, e.policy, more)
}

func (e *redirectError) Unwrap() error { return ErrRedirect }

// checkRedirect is the http.Client's redirect policy: it refuses what
// options.redirects does not allow and takes the credentials off a request
// that leaves the origin of the first, whatever the policy. net/http
// would strip Authorization only for another domain (not for another port
// or a subdomain) and would keep an API key header.
func (s *Source) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	first := via[0].URL
	policy := s.opts.redirects
	token, _ := req.Context().Value(tokenRequestKey{}).(bool)
	if token && policy != redirectNone {
		policy = redirectSameOrigin
	}
	cross := !sameOrigin(first, req.URL)
	allowed := false
	switch policy {
	case redirectSameOrigin:
		allowed = !cross
	case redirectSameHost:
		allowed = strings.EqualFold(first.Hostname(), req.URL.Hostname())
	case redirectAny:
		allowed = true
	}
	if !allowed {
		return &redirectError{to: s.secrets.redactURL(req.URL), origin: origin(first), policy: policy, token: token}
	}
	// net/http sets Referer to the previous URL, API key parameter and
	// all; no API needs it.
	req.Header.Del("Referer")
	if !cross && s.opts.auth.typ == authAPIKey && s.opts.auth.param != "" {
		// The Location the API sent does not carry the key; the origin
		// may have it.
		q := req.URL.Query()
		q.Set(s.opts.auth.param, s.secret)
		req.URL.RawQuery = q.Encode()
	}
	if cross {
		s.stripCredentials(req)
		s.log.Info("following a redirect to another origin, without credentials", "source", s.name,
			"from", origin(first), "to", s.secrets.redactURL(req.URL))
	}
	return nil
}

// stripCredentials takes off a request everything authorize may have put
// on it, and any cookie.
func (s *Source) stripCredentials(req *http.Request) {
	for _, h := range []string{"Authorization", "Proxy-Authorization", "Cookie"} {
		req.Header.Del(h)
	}
	a := s.opts.auth
	if a.typ == authAPIKey && a.header != "" {
		req.Header.Del(a.header)
	}
	if a.typ == authAPIKey && a.param != "" {
		q := req.URL.Query()
		if q.Has(a.param) {
			q.Del(a.param)
			req.URL.RawQuery = q.Encode()
		}
	}
}

// sameOrigin compares scheme, host and port (RFC 6454), with the scheme's
// default port filled in.
func sameOrigin(a, b *url.URL) bool {
	return origin(a) == origin(b)
}

// origin prints scheme://host:port.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return strings.ToLower(u.Scheme) + "://" + host + ":" + port
}

// withTokenRequest marks a context as a token request's.
func withTokenRequest(ctx context.Context) context.Context {
	return context.WithValue(ctx, tokenRequestKey{}, true)
}
