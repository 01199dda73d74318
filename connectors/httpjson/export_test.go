package httpjson

import (
	"net/url"
	"time"

	"github.com/lienthong/lienthong/connectors"
)

// ReaderStats reports how many pages a reader of this package requested
// and the most records one of them held.
func ReaderStats(r connectors.Reader) (requests, maxPage int) {
	rr := r.(*reader)
	return rr.requests, rr.maxPage
}

// SetClock replaces a source's clock, for token expiry.
func SetClock(s connectors.Source, now func() time.Time) { s.(*Source).now = now }

// Pure helpers, exposed to table tests.
var (
	ParseRetryAfter = parseRetryAfter
	NextLink        = nextLink
	ConvertNumber   = convertNumber
	CodeText        = codeText
)

// DecodeOptions decodes options as Open does.
func DecodeOptions(raw map[string]any) error {
	_, err := decodeOptions(raw, nil)
	return err
}

// RedactURL prints a URL as errors show it, for a source whose secret is
// secret and whose API key travels in param.
func RedactURL(raw, secret, param string) string {
	s := &secrets{param: param}
	s.add(secret)
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	return s.redactURL(u)
}

// LowerCursor lowers a cursor text by a look-back.
func LowerCursor(text, lookBack string) (string, error) {
	return lowerCursor(parseCursor(text), lookBack)
}

// CompareCursors orders two cursor texts.
func CompareCursors(a, b string) (int, error) {
	return parseCursor(a).compare(parseCursor(b))
}

// DecodeCheckpoint checks a checkpoint for a pagination type.
func DecodeCheckpoint(raw []byte, pagination string) error {
	_, err := decodeCheckpoint(raw, pagination)
	return err
}
