package httpjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/lienthong/lienthong/connectors"
)

// maxTies bounds the keys a checkpoint keeps for one cursor value. Past
// it, the checkpoint says so instead, and the next read delivers again every
// record at that cursor value rather than risk skipping one: a bulk import
// that stamped 100,000 records with one time costs a re-read, not a
// checkpoint of megabytes written with every batch.
const maxTies = 1000

// checkpoint is the JSON position documented in the package doc.
type checkpoint struct {
	// Cursor is the greatest cursor delivered; Ties the keys delivered
	// with exactly that cursor, sorted.
	Cursor       *string  `json:"cursor,omitempty"`
	Ties         []string `json:"ties,omitempty"`
	TiesOverflow bool     `json:"ties_overflow,omitempty"`
	// Read is set only inside a read: where to resume it.
	Read *readPos `json:"read,omitempty"`
}

// readPos is a position inside one read: the page being handed out and
// how far into it.
type readPos struct {
	Full bool `json:"full,omitempty"`
	// Since is the cursor value the read filters on (sent as
	// cursor_param); SinceTies the keys at exactly Since that an earlier
	// read delivered.
	Since     *string  `json:"since,omitempty"`
	SinceTies []string `json:"since_ties,omitempty"`
	// One of these says which page, by pagination type.
	Page   *int64  `json:"page,omitempty"`
	Offset *int64  `json:"offset,omitempty"`
	Token  *string `json:"token,omitempty"`
	URL    string  `json:"url,omitempty"`
	// Next is how many records of the page were handled; LastKey is the
	// key of the last one, to find the place again if the page moved.
	Next    int    `json:"next"`
	LastKey string `json:"last_key"`
}

// decodeCheckpoint reads a checkpoint strictly: an unknown field most
// likely means a checkpoint of another connector or version, and guessing
// could skip records.
func decodeCheckpoint(raw connectors.Checkpoint, pag string) (checkpoint, error) {
	var c checkpoint
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return c, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%w: %v (reset the stream's checkpoint to read it from the beginning)", ErrCheckpoint, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return c, fmt.Errorf("%w: data after the JSON object", ErrCheckpoint)
	}
	if c.Cursor == nil && (len(c.Ties) > 0 || c.TiesOverflow) {
		return c, fmt.Errorf("%w: ties without a cursor", ErrCheckpoint)
	}
	if !slices.IsSorted(c.Ties) {
		return c, fmt.Errorf("%w: ties are not sorted", ErrCheckpoint)
	}
	if r := c.Read; r != nil {
		if !slices.IsSorted(r.SinceTies) {
			return c, fmt.Errorf("%w: since_ties are not sorted", ErrCheckpoint)
		}
		if r.Since == nil && len(r.SinceTies) > 0 {
			return c, fmt.Errorf("%w: since_ties without since", ErrCheckpoint)
		}
		if r.Next < 0 {
			return c, fmt.Errorf("%w: negative next", ErrCheckpoint)
		}
		has := map[string]bool{pageNumber: r.Page != nil, pageOffset: r.Offset != nil, pageCursor: r.Token != nil, pageLink: r.URL != ""}
		for typ, set := range has {
			if set && typ != pag {
				return c, fmt.Errorf("%w: it was written for pagination type %s, the stream now uses %s; reset the checkpoint",
					ErrCheckpoint, typ, pag)
			}
		}
		if (pag == pageNumber && r.Page == nil) || (pag == pageOffset && r.Offset == nil) || (pag == pageCursor && r.Token == nil) {
			return c, fmt.Errorf("%w: it has no %s position for pagination type %s", ErrCheckpoint, pag, pag)
		}
	}
	return c, nil
}

// encode cannot fail for this type; a panic would mean the struct changed
// into something JSON cannot hold.
func (c checkpoint) encode() connectors.Checkpoint {
	b, err := json.Marshal(c)
	if err != nil {
		panic("httpjson: encode checkpoint: " + err.Error())
	}
	return b
}
