package httpjson

import (
	"net/http"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/lienthong/lienthong/connectors"
)

// observe reports every attempt the client sends (its status, or 0 when
// no answer came) and every retry to obs, when there is one. It wraps the
// transport, below retryablehttp, so each attempt is seen, not only the
// last.
func (s *Source) observe(obs connectors.HTTPObserver) {
	if obs == nil {
		return
	}
	s.client.HTTPClient.Transport = observedTransport{next: s.client.HTTPClient.Transport, obs: obs}
	s.client.RequestLogHook = func(_ retryablehttp.Logger, _ *http.Request, attempt int) {
		if attempt > 0 {
			obs.Retry()
		}
	}
}

type observedTransport struct {
	next http.RoundTripper
	obs  connectors.HTTPObserver
}

func (t observedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	code := 0
	if err == nil {
		code = resp.StatusCode
	}
	t.obs.Attempt(code)
	return resp, err
}
