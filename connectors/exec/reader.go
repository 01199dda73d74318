package exec

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/lienthong/lienthong/connectors"
)

// ErrInvalidStream is returned, wrapped, when a stream's configuration can
// not be read by this connector: a query instead of a stream name, or no
// primary key from either the configuration or the program.
var ErrInvalidStream = errors.New("exec: invalid stream")

var errClosed = errors.New("exec: reader is closed")

const (
	// queued bounds the records parsed ahead of the consumer.
	queued = 64
	// readBuffer is the stdout buffer; longer lines are gathered in a
	// separate buffer up to max_line_bytes.
	readBuffer = 64 << 10
	// lineQuote is how much of a bad line an error quotes.
	lineQuote = 80
)

// tapStream is the Singer stream a lienthong stream reads: its table, or
// its name when it has none.
func tapStream(s connectors.Stream) (string, error) {
	if s.Query != "" {
		return "", fmt.Errorf("%w: the exec connector reads a program's streams by name, it runs no query: "+
			"set table to the Singer stream name instead of query", ErrInvalidStream)
	}
	if s.Table != "" {
		return s.Table, nil
	}
	return s.Name, nil
}

// reader runs the program for one read. A goroutine (pump) parses its
// stdout and hands the stream's records over a small queue, so the
// program, the parsing and the consumer work at once and memory holds at
// most queued records and one line.
type reader struct {
	src    *Source
	stream connectors.Stream
	tap    string
	// check stops the read at the stream's first SCHEMA or RECORD.
	check bool
	p     *process
	items chan connectors.Record
	done  chan struct{}

	// Owned by the pump until items is closed.
	key      []string // the primary key in use
	keyFrom  string   // "configuration" or "SCHEMA"
	formats  map[string]string
	dec      *decoder
	state    connectors.Checkpoint
	line     int
	records  int64
	states   int64
	ignored  map[string]int64
	seen     bool // check: the stream's SCHEMA or RECORD arrived
	err      error
	final    connectors.Checkpoint
	finished bool

	closed bool
}

// Read starts the program and returns a reader of the records of one
// stream. The program runs under ctx, bounded by the source's timeout:
// cancelling ctx kills it. Resumption is described in the package doc.
func (s *Source) Read(ctx context.Context, req connectors.ReadRequest) (connectors.Reader, error) {
	r, err := s.newReader(ctx, req, false)
	if err != nil {
		return nil, s.scrub(err)
	}
	return r, nil
}

func (s *Source) newReader(ctx context.Context, req connectors.ReadRequest, check bool) (*reader, error) {
	tap, err := tapStream(req.Stream)
	if err != nil {
		return nil, err
	}
	switch req.Mode {
	case connectors.Incremental, connectors.FullRefresh:
	default:
		return nil, fmt.Errorf("%w: mode %q is neither %s nor %s", ErrInvalidStream, req.Mode,
			connectors.Incremental, connectors.FullRefresh)
	}
	from := req.From
	if len(from) > 0 && !json.Valid(from) {
		return nil, errors.New("the checkpoint is not JSON: it must be a STATE value the program wrote; reset the stream's checkpoint")
	}
	if string(from) == "null" {
		from = nil
	}
	r := &reader{src: s, stream: req.Stream, tap: tap, check: check, state: from,
		items: make(chan connectors.Record, queued), done: make(chan struct{}), ignored: map[string]int64{}, dec: newDecoder()}
	if len(req.Stream.PrimaryKey) > 0 {
		r.key, r.keyFrom = req.Stream.PrimaryKey, "configuration"
	}
	p, pctx, err := s.start(ctx, run{stream: tap, mode: req.Mode, state: from})
	if err != nil {
		return nil, err
	}
	r.p = p
	go r.pump(pctx)
	return r, nil
}

// Next returns the next record of the stream, or connectors.ErrEndOfStream
// once the program has exited with status 0.
func (r *reader) Next(ctx context.Context) (connectors.Record, error) {
	if r.closed {
		return connectors.Record{}, errClosed
	}
	// A cancelled read stops now, even with records queued: select would
	// pick among ready cases at random.
	if err := ctx.Err(); err != nil {
		return connectors.Record{}, err
	}
	select {
	case rec, ok := <-r.items:
		if ok {
			return rec, nil
		}
		if r.err != nil {
			return connectors.Record{}, r.src.scrub(r.err)
		}
		return connectors.Record{}, connectors.ErrEndOfStream
	case <-ctx.Done():
		return connectors.Record{}, ctx.Err()
	}
}

// Final returns the last STATE value the program wrote, or the checkpoint
// the read started from when it wrote none.
func (r *reader) Final() connectors.Checkpoint {
	if !r.finished || r.err != nil {
		return nil
	}
	return r.final
}

// Close kills the program if it still runs, waits for it and removes its
// files.
func (r *reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.p.kill()
	<-r.done
	return nil
}

// pump reads the program's stdout to its end, then reaps the program. It
// owns the reader's fields until it closes items.
func (r *reader) pump(ctx context.Context) {
	defer close(r.done)
	defer close(r.items)
	err := r.scan(ctx)
	// The process context ended while reading (timeout, the caller's
	// cancellation, Close): the program was killed, and wait says why.
	killed := ctx.Err() != nil
	if err != nil {
		r.p.kill()
	}
	werr := r.p.wait(ctx)
	switch {
	case errors.Is(err, errStop):
		err = nil
	case killed, err == nil:
		err = werr
	}
	r.err = err
	if err == nil {
		r.final, r.finished = r.state, true
	}
	r.logSummary()
}

// errStop ends a check's scan once the stream has shown up.
var errStop = errors.New("exec: stop")

// scan handles stdout line by line until its end, an error, or the
// process context's end.
func (r *reader) scan(ctx context.Context) error {
	lr := &lineReader{br: bufio.NewReaderSize(r.p.stdout, readBuffer), max: int(r.src.opts.MaxLineBytes)}
	for {
		line, err := lr.next()
		r.line = lr.n
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, errLineTooLong) {
			return r.malformed(line, fmt.Sprintf("it is longer than max_line_bytes (%d bytes); raise max_line_bytes if records really are that large",
				r.src.opts.MaxLineBytes))
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("read the program's stdout: %w", err)
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		rec, ok, err := r.handle(line)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		select {
		case r.items <- rec:
		case <-ctx.Done():
			return ctx.Err()
		}
		if r.check {
			return errStop
		}
	}
}

// handle acts on one message; ok says it made a record to hand out.
func (r *reader) handle(line []byte) (rec connectors.Record, ok bool, err error) {
	m, err := r.dec.parse(line)
	if err != nil {
		return rec, false, r.malformed(line, err.Error())
	}
	switch m.Type {
	case typeState:
		r.states++
		r.state = compact(m.Value)
	case typeSchema:
		if m.Stream != r.tap {
			r.countOther(m.Stream, 0)
			return rec, false, nil
		}
		if r.formats, err = timeFormats(m.Schema); err != nil {
			return rec, false, r.malformed(line, "its schema can not be read: "+err.Error())
		}
		switch {
		case r.keyFrom == "configuration" && len(m.KeyProperties) > 0 && !slices.Equal(r.key, m.KeyProperties):
			r.src.log.Warn("the stream's primary_key differs from the program's key_properties; using primary_key",
				"stream", r.tap, "primary_key", r.key, "key_properties", m.KeyProperties)
		case r.keyFrom != "configuration" && len(m.KeyProperties) > 0:
			r.key, r.keyFrom = m.KeyProperties, "SCHEMA"
		}
		if r.check {
			r.seen = true
			return rec, false, errStop
		}
	case typeRecord:
		if m.Stream != r.tap {
			r.countOther(m.Stream, 1)
			return rec, false, nil
		}
		if rec, err = r.record(m.Record); err != nil {
			if errors.Is(err, ErrInvalidStream) {
				return rec, false, err
			}
			return rec, false, r.malformed(line, err.Error())
		}
		r.records++
		r.seen = true
		return rec, true, nil
	}
	return rec, false, nil
}

// record turns a RECORD of the stream into a connectors.Record positioned
// at the last STATE before it. It converts the decoded record in place.
func (r *reader) record(fields map[string]any) (connectors.Record, error) {
	if len(r.key) == 0 {
		return connectors.Record{}, fmt.Errorf("%w: stream %q has no primary key: set primary_key in the stream's configuration, "+
			"or have the program send a SCHEMA with key_properties before its records", ErrInvalidStream, r.tap)
	}
	parts := make([]string, len(r.key))
	for i, col := range r.key {
		raw, ok := fields[col]
		if !ok {
			return connectors.Record{}, fmt.Errorf("its record has no key property %q (the stream's key is %s, from the %s)",
				col, strings.Join(r.key, ", "), r.keyFrom)
		}
		v, key, err := fieldValue(raw, r.formats[col])
		switch {
		case errors.Is(err, errNotScalar):
			return connectors.Record{}, fmt.Errorf("key property %q is an object or a list; a key must be a value in every record", col)
		case err != nil:
			return connectors.Record{}, fmt.Errorf("field %q: %v", col, err)
		case v == nil:
			return connectors.Record{}, fmt.Errorf("key property %q is null; a key must be a value in every record", col)
		}
		parts[i] = key
	}
	for name, raw := range fields {
		v, _, err := fieldValue(raw, r.formats[name])
		if err != nil && !errors.Is(err, errNotScalar) {
			return connectors.Record{}, fmt.Errorf("field %q: %v", name, err)
		}
		fields[name] = v
	}
	rec := connectors.Record{Key: strings.Join(parts, "|"), Fields: fields, Position: r.state}
	if c := r.stream.Cursor; c != "" {
		rec.NullCursor = fields[c] == nil
	}
	return rec, nil
}

// malformed describes a bad stdout line: its number, its start and what
// is wrong.
func (r *reader) malformed(line []byte, what string) error {
	quote := strings.ToValidUTF8(cutRunes(string(line), lineQuote), "\uFFFD")
	if len(line) > len(quote) {
		quote += "…"
	}
	return fmt.Errorf("%w: program %s, stdout line %d: %s; the line starts %q",
		ErrMalformedOutput, r.src.opts.Command, r.line, what, quote)
}

func (r *reader) countOther(stream string, n int64) {
	// Bounded: a program's stream names are few, but a broken one could
	// make up a new name per line.
	if _, ok := r.ignored[stream]; ok || len(r.ignored) < 100 {
		r.ignored[stream] += n
	}
}

func (r *reader) logSummary() {
	args := []any{"stream", r.tap, "records", r.records, "state_messages", r.states}
	var total int64
	var names []string
	for name, n := range r.ignored {
		total += n
		if n > 0 {
			names = append(names, name+"="+strconv.FormatInt(n, 10))
		}
	}
	if total > 0 {
		sort.Strings(names)
		args = append(args, "ignored_records", total, "ignored_streams", strings.Join(names, " "))
	}
	r.src.log.Info("program finished", args...)
}

// compact copies a STATE value in its compact form: it outlives the line
// buffer it was read from. A null state means none.
func compact(v json.RawMessage) connectors.Checkpoint {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil || b.String() == "null" {
		return nil
	}
	return connectors.Checkpoint(b.Bytes())
}
