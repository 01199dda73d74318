package file

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/lienthong/lienthong/connectors"
)

// ErrCheckpoint is returned, wrapped, when a checkpoint handed to Read can
// not be resumed from. Resetting the stream's checkpoint reads every
// complete file in the folder again.
var ErrCheckpoint = errors.New("file: unusable checkpoint")

// checkpoint is the JSON position documented in the package doc.
type checkpoint struct {
	// Read is the history: the files read to the end, oldest first by
	// (mtime, name), at most the stream's history option.
	Read []fileEntry `json:"read,omitempty"`
	// Horizon is the modification time of the newest file dropped from
	// the history; files modified at or before it count as read.
	Horizon *time.Time `json:"horizon,omitempty"`
	// Reading is the file being read and how many of its rows were
	// delivered.
	Reading *position `json:"reading,omitempty"`
}

// fileEntry identifies a file that was read: by content (SHA256), and by
// name, size and modification time, which spare hashing it again while it
// stays in the folder untouched.
type fileEntry struct {
	SHA256 string    `json:"sha256"`
	Name   string    `json:"name"`
	Size   int64     `json:"size"`
	MTime  time.Time `json:"mtime"`
}

func (e fileEntry) before(f fileEntry) bool {
	if !e.MTime.Equal(f.MTime) {
		return e.MTime.Before(f.MTime)
	}
	return e.Name < f.Name
}

// position is a row within a file: Row rows of the file with content SHA256
// were delivered; the read resumes with the next one.
type position struct {
	SHA256 string `json:"sha256"`
	Name   string `json:"name"`
	Row    int64  `json:"row"`
}

// decodeCheckpoint reads a checkpoint strictly: an unknown field most likely
// means a checkpoint of another connector, and guessing could read files
// twice or skip them.
func decodeCheckpoint(raw connectors.Checkpoint) (checkpoint, error) {
	var c checkpoint
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return c, nil
	}
	bad := func(format string, args ...any) (checkpoint, error) {
		return checkpoint{}, fmt.Errorf("%w: %s (reset the stream's checkpoint to read every complete file again)",
			ErrCheckpoint, fmt.Sprintf(format, args...))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return bad("%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("data after the JSON object")
	}
	for i, e := range c.Read {
		if !isSHA256(e.SHA256) || e.Name == "" || e.Size < 0 {
			return bad("read[%d] is not a file entry with sha256, name and size", i)
		}
		if i > 0 && e.before(c.Read[i-1]) {
			return bad("read is not in (mtime, name) order at %d", i)
		}
	}
	if r := c.Reading; r != nil && (!isSHA256(r.SHA256) || r.Name == "" || r.Row < 0) {
		return bad("reading is not a position with sha256, name and row")
	}
	return c, nil
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// known reports whether a file with this content was read.
func (c *checkpoint) known(sha string) bool {
	for _, e := range c.Read {
		if e.SHA256 == sha {
			return true
		}
	}
	return false
}

// listed reports whether a file in the folder is a history entry untouched
// since it was read: same name, size and modification time.
func (c *checkpoint) listed(d dropped) bool {
	for _, e := range c.Read {
		if e.Name == d.name && e.Size == d.size && e.MTime.Equal(d.mtime) {
			return true
		}
	}
	return false
}

// pastHorizon reports whether a file is older than what the history
// remembers, so counts as read.
func (c *checkpoint) pastHorizon(d dropped) bool {
	return c.Horizon != nil && !d.mtime.After(*c.Horizon)
}

// add records a file as read and keeps the history within limit entries,
// dropping the oldest and moving the horizon up to it.
func (c *checkpoint) add(e fileEntry, limit int) {
	i := sort.Search(len(c.Read), func(i int) bool { return e.before(c.Read[i]) })
	c.Read = append(c.Read, fileEntry{})
	copy(c.Read[i+1:], c.Read[i:])
	c.Read[i] = e
	c.trim(limit)
}

// trim drops the oldest entries beyond limit.
func (c *checkpoint) trim(limit int) {
	for len(c.Read) > limit {
		old := c.Read[0].MTime
		if c.Horizon == nil || old.After(*c.Horizon) {
			c.Horizon = &old
		}
		c.Read = c.Read[1:]
	}
	// Compact: dropping from the front would keep the old array alive.
	c.Read = append([]fileEntry(nil), c.Read...)
}

// encode cannot fail for this type; a panic would mean the struct changed
// into something JSON cannot hold.
func (c checkpoint) encode() connectors.Checkpoint {
	b, err := json.Marshal(c)
	if err != nil {
		panic("file: encode checkpoint: " + err.Error())
	}
	return b
}

// rowPositions builds the Position of every row of one file: the
// checkpoint as it stands (the history before this file) plus reading at
// that row. The JSON up to the row number is built once per file; each row
// costs one allocation.
type rowPositions struct {
	prefix []byte
}

func newRowPositions(c checkpoint, sha, name string) rowPositions {
	c.Reading = nil
	head := c.encode()
	pos, err := json.Marshal(position{SHA256: sha, Name: name})
	if err != nil {
		panic("file: encode position: " + err.Error())
	}
	// pos ends in `"row":0}`: keep it up to the colon.
	pos = pos[:len(pos)-len("0}")]
	prefix := append([]byte(nil), head[:len(head)-1]...)
	if len(head) > 2 {
		prefix = append(prefix, ',')
	}
	prefix = append(prefix, `"reading":`...)
	prefix = append(prefix, pos...)
	return rowPositions{prefix: prefix}
}

func (r rowPositions) at(row int64) connectors.Checkpoint {
	b := make([]byte, len(r.prefix), len(r.prefix)+22)
	copy(b, r.prefix)
	b = strconv.AppendInt(b, row, 10)
	return append(b, '}', '}')
}
