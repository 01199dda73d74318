package sqlsource

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/lienthong/lienthong/connectors"
)

// ErrCheckpoint is returned, wrapped, when a checkpoint handed to Read can
// not be resumed from. The usual fix is to reset the stream's checkpoint,
// which reads it again from the beginning.
var ErrCheckpoint = errors.New("sqlsource: unusable checkpoint")

// checkpoint is the JSON position documented in the package doc. Texts are
// what the database printed for CAST(col AS TEXT); a pointer tells an empty
// text cursor from no cursor.
type checkpoint struct {
	Cursor  *string  `json:"cursor,omitempty"`
	Key     []string `json:"key,omitempty"`
	NullKey []string `json:"null_key,omitempty"`
	Full    bool     `json:"full,omitempty"`
	FullKey []string `json:"full_key,omitempty"`
}

// position is one (cursor, key) point in pass-1 order; a nil cursor means
// "before every row".
type position struct {
	cursor *string
	key    []string
}

func (c checkpoint) pass1() position { return position{cursor: c.Cursor, key: c.Key} }

// decodeCheckpoint reads a checkpoint strictly: an unknown field most likely
// means a checkpoint of another connector or version, and guessing could
// skip rows.
func decodeCheckpoint(raw connectors.Checkpoint, nKeys int) (checkpoint, error) {
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
	lenOK := func(field string, got []string, required bool) error {
		if (got != nil || required) && len(got) != nKeys {
			return fmt.Errorf("%w: %s has %d values, the stream's primary key has %d columns (was the primary key changed?)",
				ErrCheckpoint, field, len(got), nKeys)
		}
		return nil
	}
	if err := lenOK("key", c.Key, c.Cursor != nil); err != nil {
		return c, err
	}
	if c.Cursor == nil && c.Key != nil {
		return c, fmt.Errorf("%w: key without cursor", ErrCheckpoint)
	}
	if err := lenOK("null_key", c.NullKey, false); err != nil {
		return c, err
	}
	if err := lenOK("full_key", c.FullKey, false); err != nil {
		return c, err
	}
	if c.FullKey != nil && !c.Full {
		return c, fmt.Errorf("%w: full_key without full", ErrCheckpoint)
	}
	if c.Full && c.NullKey != nil {
		return c, fmt.Errorf("%w: null_key in a full-refresh checkpoint", ErrCheckpoint)
	}
	return c, nil
}

// encode cannot fail for this type; a panic would mean the struct changed
// into something JSON cannot hold.
func (c checkpoint) encode() connectors.Checkpoint {
	b, err := json.Marshal(c)
	if err != nil {
		panic("sqlsource: encode checkpoint: " + err.Error())
	}
	return b
}
