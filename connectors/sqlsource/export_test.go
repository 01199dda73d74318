package sqlsource

import (
	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/cursortext"
)

// ReaderStats reports how many page queries a reader of this package ran
// and the most rows one of them returned.
func ReaderStats(r connectors.Reader) (queries, maxRows int) {
	rr := r.(*reader)
	return rr.queries, rr.maxRows
}

// LowerCursor exposes the look-back arithmetic to table tests.
var LowerCursor = cursortext.Lower

// DecodeCheckpoint exposes checkpoint decoding to table tests.
func DecodeCheckpoint(raw []byte, nKeys int) error {
	_, err := decodeCheckpoint(raw, nKeys)
	return err
}

// Scrub runs a DSN's secrets over an error message, as a Source of the
// kind does.
func Scrub(kind, dsn, msg string) string {
	d := postgres
	if kind == "mysql" {
		d = mysql
	}
	s := &Source{secrets: secretsOf(d, dsn)}
	return s.scrub(errorString(msg)).Error()
}

type errorString string

func (e errorString) Error() string { return string(e) }
