package httpjson

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/netguard"
)

// Kind is the connector kind this package registers.
const Kind = "httpjson"

func init() {
	connectors.Register(Kind, func(ctx context.Context, cfg connectors.Config) (connectors.Source, error) {
		// Never a non-nil interface holding a nil *Source.
		src, err := Open(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return src, nil
	})
}

var (
	_ connectors.Source     = (*Source)(nil)
	_ connectors.Discoverer = (*Source)(nil)
)

// Source is one department REST/JSON API. It is safe for concurrent reads
// of several streams, which share its rate limit and OAuth2 token.
type Source struct {
	name    string
	opts    *options
	secret  string
	secrets *secrets
	client  *retryablehttp.Client
	limit   *limiter
	token   *tokenCache
	timeout time.Duration
	log     *slog.Logger
	// now is the clock for token expiry and Retry-After dates; tests move it.
	now func() time.Time
}

// Open opens a source of kind httpjson. It decodes and checks the options
// and the secret but sends no request: Check does.
func Open(_ context.Context, cfg connectors.Config) (*Source, error) {
	// A guard given by the caller (a registered source) replaces the
	// source's own allow_networks: a department cannot widen it.
	o, err := decodeOptions(cfg.Options, cfg.Guard)
	if err != nil {
		return nil, err
	}
	if err := checkSecret(o.auth, cfg.DSN); err != nil {
		return nil, err
	}
	s := &Source{name: cfg.Name, opts: o, secret: cfg.DSN, secrets: &secrets{}, timeout: cfg.Timeout,
		log: cfg.Log, now: time.Now, limit: newLimiter(o.rateLimit)}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.secrets.add(cfg.DSN)
	if o.auth.typ == authAPIKey {
		s.secrets.param = o.auth.param
	}
	if o.auth.typ == authOAuth2 {
		s.token = &tokenCache{}
	}
	for _, p := range o.allowNetworks {
		if why, useless := netguard.Unusable(p); useless {
			s.log.Warn("options.allow_networks lists a network that is never allowed", "source", s.name, "reason", why)
		}
	}
	guard := cfg.Guard
	if guard == nil {
		guard = netguard.New(o.allowNetworks, allowNetworksOption)
	}
	// Every connection, to base_url, the token endpoint, a next link or a
	// redirect, passes the guard once its address is resolved.
	transport := guard.Transport(http.DefaultTransport.(*http.Transport))
	transport.MaxIdleConnsPerHost = 4
	s.client = &retryablehttp.Client{
		// The timeout bounds each attempt, body included; the waits between
		// attempts are not part of it.
		HTTPClient:   &http.Client{Transport: transport, Timeout: s.timeout, CheckRedirect: s.checkRedirect},
		RetryMax:     o.retry.max,
		RetryWaitMin: o.retry.waitMin,
		RetryWaitMax: o.retry.waitMax,
		CheckRetry:   s.checkRetry,
		Backoff:      s.backoff,
		// Every attempt waits its turn with the rate limit.
		PrepareRetry: func(r *http.Request) error { return s.limit.wait(r.Context()) },
		// The last response comes back to send, which reads its status and
		// body into the error; retryablehttp's own error would show the
		// query string.
		ErrorHandler: func(resp *http.Response, err error, attempts int) (*http.Response, error) {
			return resp, &gaveUp{attempts: attempts, err: err}
		},
	}
	s.observe(cfg.HTTP)
	return s, nil
}

// checkSecret matches the secret to the authentication type: a secret that
// no request would send means a forgotten auth option.
func checkSecret(a authOptions, secret string) error {
	need := map[string]string{
		authBearer: "the bearer token",
		authBasic:  "the password",
		authAPIKey: "the API key",
		authOAuth2: "the OAuth2 client secret",
	}
	what, needs := need[a.typ]
	switch {
	case !needs && secret != "":
		return errors.New(`the source has a secret (dsn, dsn_env or dsn_file) but options.auth.type is none: ` +
			`set auth.type to bearer, basic, api_key or oauth2 so the secret is used`)
	case needs && secret == "":
		return fmt.Errorf("auth type %s needs %s as the source's secret: set dsn_env or dsn_file", a.typ, what)
	case needs && len(secret) < 4:
		return fmt.Errorf("the source's secret is %d characters long, too short to be %s", len(secret), what)
	}
	return nil
}

// Close releases idle connections.
func (s *Source) Close() error {
	s.client.HTTPClient.CloseIdleConnections()
	return nil
}

type gaveUp struct {
	attempts int
	err      error
}

func (e *gaveUp) Error() string {
	if e.err == nil {
		return fmt.Sprintf("giving up after %d attempts", e.attempts)
	}
	return fmt.Sprintf("giving up after %d attempts: %v", e.attempts, e.err)
}

func (e *gaveUp) Unwrap() error { return e.err }
