package httpjson

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/lienthong/lienthong/internal/netguard"
)

// sensitiveParam matches query parameter names that usually carry a
// credential. Their values never reach an error or a log.
var sensitiveParam = regexp.MustCompile(`(?i)(token|key|secret|pass|pwd|auth|sig|credential|session|code)`)

const redacted = "xxxxx"

// secrets holds what must never be shown: the source's secret and the
// OAuth2 access token of the moment.
type secrets struct {
	mu     sync.RWMutex
	values []string
	// param is the query parameter the API key travels in, if it does.
	param string
}

func (s *secrets) add(v string) {
	if len(v) < 4 {
		// Blanking every "ab" in a message would hide more than it saves;
		// a secret this short is refused when the source opens.
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, form := range []string{v, url.QueryEscape(v), url.PathEscape(v)} {
		if !slices.Contains(s.values, form) {
			s.values = append(s.values, form)
		}
	}
	// Longest first, so that a secret inside another is not half replaced.
	slices.SortFunc(s.values, func(a, b string) int { return len(b) - len(a) })
}

// scrub replaces every secret in a text.
func (s *secrets) scrub(text string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.values {
		text = strings.ReplaceAll(text, v, redacted)
	}
	return text
}

// scrubErr keeps secrets out of an error. When it had to change the text,
// the original chain is dropped too: a caller walking it must not find the
// secret. The sentinels a caller matches survive.
func (s *secrets) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := s.scrub(msg)
	if clean == msg {
		return err
	}
	return &scrubbedError{msg: clean, kinds: sentinelsOf(err)}
}

type scrubbedError struct {
	msg   string
	kinds []error
}

func (e *scrubbedError) Error() string   { return e.msg }
func (e *scrubbedError) Unwrap() []error { return e.kinds }

func sentinelsOf(err error) []error {
	var out []error
	for _, s := range []error{ErrBadResponse, ErrResponseTooLarge, ErrCheckpoint, ErrInvalidStream, ErrRedirect, netguard.ErrRefused} {
		if errors.Is(err, s) {
			out = append(out, s)
		}
	}
	return out
}

// redactURL prints a URL for an error or a log: no user or password, no
// fragment, and "xxxxx" for the value of every query parameter that may be
// a credential or that holds a secret.
func (s *secrets) redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	c.Fragment, c.RawFragment = "", ""
	if c.RawQuery != "" {
		q, err := url.ParseQuery(c.RawQuery)
		if err != nil {
			c.RawQuery = "(query not shown: it does not parse)"
		} else {
			for k, vs := range q {
				for i, v := range vs {
					if k == s.param || sensitiveParam.MatchString(k) || s.scrub(v) != v {
						vs[i] = redacted
					}
				}
			}
			c.RawQuery = q.Encode()
		}
	}
	return s.scrub(c.String())
}
