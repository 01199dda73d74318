package exec

import (
	"log/slog"

	"github.com/lienthong/lienthong/connectors"
)

// HandleLines runs stdout lines through a reader of stream "s" with the
// given key, as the pump does, and returns the records they make or the
// first error.
func HandleLines(key []string, lines ...[]byte) ([]connectors.Record, error) {
	r := &reader{src: &Source{opts: &options{Command: "fuzz"}, log: slog.New(slog.DiscardHandler)},
		tap: "s", stream: connectors.Stream{Name: "s", Cursor: "upd"}, dec: newDecoder(), ignored: map[string]int64{}}
	if len(key) > 0 {
		r.key, r.keyFrom = key, "configuration"
	}
	var recs []connectors.Record
	for i, line := range lines {
		r.line = i + 1
		rec, ok, err := r.handle(line)
		if err != nil {
			return recs, err
		}
		if ok {
			recs = append(recs, rec)
		}
	}
	return recs, nil
}
