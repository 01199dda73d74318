package httpjson

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// authorize puts the source's credential on a request. It returns the
// OAuth2 access token it used, so that a 401 drops that token and not a
// newer one another stream just fetched.
func (s *Source) authorize(ctx context.Context, req *http.Request) (string, error) {
	a := s.opts.auth
	switch a.typ {
	case authBearer:
		req.Header.Set("Authorization", "Bearer "+s.secret)
	case authBasic:
		req.SetBasicAuth(a.username, s.secret)
	case authAPIKey:
		if a.header != "" {
			req.Header.Set(a.header, s.secret)
			break
		}
		q := req.URL.Query()
		q.Set(a.param, s.secret)
		req.URL.RawQuery = q.Encode()
	case authOAuth2:
		tok, err := s.accessToken(ctx)
		if err != nil {
			return "", err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		return tok, nil
	}
	return "", nil
}

// tokenCache holds the OAuth2 access token until shortly before it
// expires. Its mutex is held while a token is fetched, so streams that
// need one at the same time fetch it once.
type tokenCache struct {
	mu    sync.Mutex
	token string
	// expiry is when the token is renewed; zero means when the API
	// refuses it.
	expiry time.Time
}

func (c *tokenCache) invalidate(used string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == used {
		c.token = ""
	}
}

func (s *Source) accessToken(ctx context.Context) (string, error) {
	c := s.token
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && (c.expiry.IsZero() || s.now().Before(c.expiry)) {
		return c.token, nil
	}
	tok, expiry, err := s.fetchToken(ctx)
	if err != nil {
		return "", fmt.Errorf("get an OAuth2 token: %w", err)
	}
	c.token, c.expiry = tok, expiry
	return tok, nil
}

// tokenResponse is RFC 6749 section 5.1; expires_in may come as a number
// or, from some servers, as a string.
type tokenResponse struct {
	AccessToken string      `json:"access_token"`
	TokenType   string      `json:"token_type"`
	ExpiresIn   json.Number `json:"expires_in"`
}

// fetchToken runs the client credentials grant (RFC 6749 section 4.4).
func (s *Source) fetchToken(ctx context.Context) (string, time.Time, error) {
	a := s.opts.auth
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(a.scopes) > 0 {
		form.Set("scope", strings.Join(a.scopes, " "))
	}
	if a.clientAuth == "body" {
		form.Set("client_id", a.clientID)
		form.Set("client_secret", s.secret)
	}
	req, err := retryablehttp.NewRequestWithContext(withTokenRequest(ctx), http.MethodPost, a.tokenURL.String(), []byte(form.Encode()))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("build token request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if a.clientAuth == "basic" {
		// RFC 6749 section 2.3.1 form-encodes both before Basic encoding.
		req.SetBasicAuth(url.QueryEscape(a.clientID), url.QueryEscape(s.secret))
	}
	start := s.now()
	resp, err := s.send(req)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && (se.StatusCode == http.StatusBadRequest || se.StatusCode == http.StatusUnauthorized) {
			return "", time.Time{}, fmt.Errorf("%w (check auth.client_id, auth.scopes and the client secret)", err)
		}
		return "", time.Time{}, err
	}
	var tr tokenResponse
	if err := s.readSmallJSON(req.Request, resp, &tr); err != nil {
		return "", time.Time{}, err
	}
	shown := s.secrets.redactURL(req.URL)
	if tr.AccessToken == "" {
		return "", time.Time{}, fmt.Errorf("POST %s: the answer has no access_token", shown)
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "bearer") {
		return "", time.Time{}, fmt.Errorf("POST %s: token type %q is not supported, only bearer", shown, tr.TokenType)
	}
	s.secrets.add(tr.AccessToken)
	var expiry time.Time
	if tr.ExpiresIn != "" {
		secs, err := tr.ExpiresIn.Int64()
		if err != nil || secs < 0 {
			return "", time.Time{}, fmt.Errorf("POST %s: expires_in %q is not a number of seconds", shown, tr.ExpiresIn)
		}
		if secs > 0 {
			life := time.Duration(secs) * time.Second
			// Renew a little early: a token that expires while a page is
			// on the wire costs a 401 and a second request.
			expiry = start.Add(life - min(time.Minute, life/10))
		}
	}
	return tr.AccessToken, expiry, nil
}
