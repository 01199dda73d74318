package sqlsource

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/cursortext"
)

// phase is a part of a read, each with its own filter and order.
type phase int

const (
	// phaseWindow re-reads the look-back window: cursor >= lowered
	// checkpoint and (cursor, key) <= checkpoint.
	phaseWindow phase = iota
	// phaseNew is pass 1: (cursor, key) after the checkpoint.
	phaseNew
	// phaseNull is pass 2: cursor IS NULL, by key.
	phaseNull
	// phaseFull is a full refresh: every row, by key.
	phaseFull
	phaseDone
)

// row is one scanned row: its fields' values, in the order of the page's
// columns, and the text of its cursor and key.
type row struct {
	vals   []any
	cursor *string
	key    []string
}

func (r row) position() position { return position{cursor: r.cursor, key: r.key} }

// reader reads one stream page by page. It holds one page at most.
type reader struct {
	src      *Source
	p        *plan
	pageSize int
	full     bool

	phase phase
	// after is the last row read in the current phase, nil at its start.
	after *position
	// afterRow is where after points once a row of the phase is read.
	afterRow position
	// exhausted says the current phase's last page was short: no query is
	// needed to know it has no more rows.
	exhausted bool
	page      []row
	next      int
	// cols are the names of the page's data columns, which its rows'
	// vals follow.
	cols []string
	// maps are records' Fields maps the caller gave back (Recycle).
	maps sync.Pool

	// pos is the pass-1 position: the incoming checkpoint, then the last
	// pass-1 row read after it.
	pos position
	// incoming and low bound the look-back window.
	incoming position
	low      string
	// fullMax is what a full refresh hands on to incremental reads.
	fullMax position
	// windowPos is every window record's Position: the incoming checkpoint.
	windowPos connectors.Checkpoint

	probed bool
	final  connectors.Checkpoint
	closed bool

	// queries and maxRows count page queries and their largest result,
	// for tests that prove memory stays bounded.
	queries int
	maxRows int
}

// Read starts a read of a stream from a checkpoint. The order, the passes
// and the checkpoint format are in the package doc.
func (s *Source) Read(ctx context.Context, req connectors.ReadRequest) (connectors.Reader, error) {
	r, err := s.newReader(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("read stream %q: %w", req.Stream.Name, s.scrub(err))
	}
	return r, nil
}

func (s *Source) newReader(ctx context.Context, req connectors.ReadRequest) (*reader, error) {
	p, err := newPlan(s.d, req.Stream)
	if err != nil {
		return nil, err
	}
	cp, err := decodeCheckpoint(req.From, p.nKeys())
	if err != nil {
		return nil, err
	}
	if err := s.typePlan(ctx, p, req.Stream); err != nil {
		return nil, err
	}
	r := &reader{src: s, p: p, pageSize: req.PageSize, full: req.Mode == connectors.FullRefresh}
	if r.pageSize <= 0 {
		r.pageSize = defaultPageSize
	}
	switch req.Mode {
	case connectors.Incremental:
		if p.cursor == nil {
			return nil, fmt.Errorf("%w: an incremental read needs a cursor column; set cursor or read in %s mode",
				ErrInvalidStream, connectors.FullRefresh)
		}
		if cp.Full {
			return nil, fmt.Errorf("%w: it is from an unfinished full refresh, whose rows after full_key were never read; "+
				"finish it in %s mode or reset the checkpoint", ErrCheckpoint, connectors.FullRefresh)
		}
		r.pos = cp.pass1()
		switch {
		case cp.NullKey != nil:
			// Pass 1 was finished; rows it gains meanwhile wait for the
			// next read, which starts from the same pass-1 position.
			r.phase = phaseNull
			r.after = &position{key: cp.NullKey}
		case p.lookBack != "" && cp.Cursor != nil:
			low, err := cursortext.Lower(*cp.Cursor, p.lookBack)
			if err != nil {
				return nil, fmt.Errorf("%w: look_back: %v", ErrInvalidStream, err)
			}
			r.phase, r.low, r.incoming = phaseWindow, low, r.pos
			r.windowPos = checkpoint{Cursor: r.pos.cursor, Key: r.pos.key}.encode()
		default:
			r.phase = phaseNew
			if cp.Cursor != nil {
				pos := r.pos
				r.after = &pos
			}
		}
	case connectors.FullRefresh:
		r.phase = phaseFull
		switch {
		case cp.Full:
			// Resuming: the greatest position was taken when this full
			// read first started. Taking it again now would hand on rows
			// changed since then below keys this read already passed.
			r.fullMax = cp.pass1()
			if cp.FullKey != nil {
				r.after = &position{key: cp.FullKey}
			}
		case p.cursor != nil:
			if r.fullMax, err = s.maxPosition(ctx, p); err != nil {
				return nil, fmt.Errorf("find the greatest cursor: %w", err)
			}
		}
	default:
		return nil, fmt.Errorf("%w: mode %q is neither %s nor %s", ErrInvalidStream, req.Mode,
			connectors.Incremental, connectors.FullRefresh)
	}
	return r, nil
}

// maxPosition is the greatest (cursor, key) of the stream, or an empty
// position when no row has a cursor.
func (s *Source) maxPosition(ctx context.Context, p *plan) (position, error) {
	var pos position
	err := s.inTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		r, ok, err := textRow(ctx, tx, p, p.maxQuery())
		if ok {
			pos = r.position()
		}
		return err
	})
	return pos, err
}

// rowTexts reads the reserved text columns: the cursor's if the stream has
// one, then each key's. Their strings are taken from chunk, nil for a
// slice of the row's own.
func (p *plan) rowTexts(texts []any, chunk *textChunk) (row, error) {
	var r row
	out := chunk.take(len(texts))
	if p.cursor != nil {
		if t, ok := textOf(texts[0]); ok {
			out[0] = t
			r.cursor = &out[0]
		}
		texts, out = texts[1:], out[1:]
	}
	for i, v := range texts {
		t, ok := textOf(v)
		if !ok {
			return r, fmt.Errorf("%w: primary key column %q is NULL in a row: a primary key must identify every row; choose other key columns",
				ErrInvalidStream, p.keys[i].name)
		}
		out[i] = t
	}
	r.key = out
	return r, nil
}

// textChunk hands out the strings of rows' cursors and keys from one array
// grown a chunk at a time: one allocation per chunk of rows, not three per
// row. A row's cursor and key keep their chunk alive, which is a few KB.
type textChunk struct{ free []string }

func (c *textChunk) take(n int) []string {
	if c == nil {
		return make([]string, n)
	}
	if len(c.free) < n {
		c.free = make([]string, n*256)
	}
	s := c.free[:n:n]
	c.free = c.free[n:]
	return s
}

// Next returns the next record, or connectors.ErrEndOfStream.
func (r *reader) Next(ctx context.Context) (connectors.Record, error) {
	rec, _, err := r.nextRow(ctx, false)
	return rec, err
}

// NextRow is Next handing the record's values as a row instead of a map,
// for a caller that reads values by column index (mapping.Mapper.MapRow):
// the record's Fields is nil, and row[j] is the value of column cols[j].
// cols is one slice for every row of a page, so a caller binds its
// columns again only when it gets another slice; row is the caller's,
// the reader does not reuse it. A record that Next would give as a map is
// given as such a row.
func (r *reader) NextRow(ctx context.Context) (rec connectors.Record, row []any, cols []string, err error) {
	rec, row, err = r.nextRow(ctx, true)
	return rec, row, r.cols, err
}

func (r *reader) nextRow(ctx context.Context, asRow bool) (connectors.Record, []any, error) {
	if r.closed {
		return connectors.Record{}, nil, fmt.Errorf("read stream %q: %w", r.p.name, errClosed)
	}
	for {
		if r.next < len(r.page) {
			w := r.page[r.next]
			rec := r.emit(w, !asRow)
			var vals []any
			if asRow {
				vals = w.vals
			} else {
				// Let the page's values go as soon as they are handed
				// out.
				clear(w.vals)
			}
			r.page[r.next] = row{}
			r.next++
			return rec, vals, nil
		}
		if r.phase == phaseDone {
			r.finish()
			return connectors.Record{}, nil, connectors.ErrEndOfStream
		}
		if r.exhausted {
			r.advance()
			continue
		}
		if err := r.fetch(ctx); err != nil {
			return connectors.Record{}, nil, fmt.Errorf("read stream %q: %w", r.p.name, r.src.scrub(err))
		}
	}
}

// advance moves to the next phase once the current one has no more rows.
func (r *reader) advance() {
	r.exhausted = false
	switch r.phase {
	case phaseWindow:
		r.phase = phaseNew
		pos := r.pos
		r.after = &pos
	case phaseNew:
		r.phase, r.after = phaseNull, nil
	default:
		r.phase = phaseDone
	}
}

// emit makes a row's record. Its map is made only now, not when the page
// is scanned: a page holds pageSize rows (5,000 by default) while the
// pipeline holds a few batches, and a map of a row's columns costs about
// three times its values.
func (r *reader) emit(w row, asMap bool) connectors.Record {
	var fields map[string]any
	if asMap {
		fields, _ = r.maps.Get().(map[string]any)
		if fields == nil {
			fields = make(map[string]any, len(r.cols))
		}
		for i, c := range r.cols {
			fields[c] = w.vals[i]
		}
	}
	rec := connectors.Record{
		Key:        strings.Join(w.key, "|"),
		Fields:     fields,
		NullCursor: r.p.cursor != nil && w.cursor == nil,
	}
	// The reader's own position, not one allocated per record: r.after is
	// read only to build the next page's query.
	r.afterRow = w.position()
	r.after = &r.afterRow
	pos := r.afterRow
	// Positions are encoded on demand: the engine needs one per batch, not
	// per record, and encoding one is JSON.
	var c checkpoint
	switch r.phase {
	case phaseWindow:
		rec.Position = r.windowPos
		return rec
	case phaseNew:
		r.pos = pos
		c = checkpoint{Cursor: pos.cursor, Key: pos.key}
	case phaseNull:
		c = checkpoint{Cursor: r.pos.cursor, Key: r.pos.key, NullKey: w.key}
	case phaseFull:
		c = checkpoint{Cursor: r.fullMax.cursor, Key: r.fullMax.key, Full: true, FullKey: w.key}
	default:
		return rec
	}
	rec.PositionFunc = c.encode
	return rec
}

// Recycle takes back the Fields map of a record the caller is done with,
// for a later record: the engine gives back the maps of every batch it
// commits (its fieldsRecycler). It is safe to call from another goroutine
// than Next's, even after Close.
func (r *reader) Recycle(fields map[string]any) {
	clear(fields)
	r.maps.Put(fields)
}

func (r *reader) finish() {
	if r.final != nil {
		return
	}
	pos := r.pos
	if r.full {
		pos = r.fullMax
	}
	r.final = checkpoint{Cursor: pos.cursor, Key: pos.key}.encode()
}

// fetch runs the query of the current phase's next page.
func (r *reader) fetch(ctx context.Context) error {
	q, args := r.p.pageQuery(r.phase, r.after, r.low, r.incoming, r.pageSize)
	var page []row
	err := r.src.inTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		var err error
		if page, err = r.scanPage(ctx, tx, q, args); err != nil {
			return err
		}
		// Checking once per read is enough: a stream whose text does not
		// compare equal fails on any row. It runs in the page's snapshot
		// so a concurrent update can not raise a false alarm.
		if !r.probed && len(page) > 0 {
			if err := r.src.probe(ctx, tx, r.p, page[len(page)-1]); err != nil {
				return err
			}
			r.probed = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("query page: %w", err)
	}
	r.queries++
	r.maxRows = max(r.maxRows, len(page))
	if len(page) > 0 && r.after != nil && samePosition(page[0].position(), *r.after, r.phase) {
		// Only possible if the text did not round-trip; looping forever
		// over the same rows would be worse than stopping.
		return fmt.Errorf("the page after key %q starts with that same row: the cursor or key does not compare equal to its text",
			strings.Join(r.after.key, "|"))
	}
	r.page, r.next = page, 0
	r.exhausted = len(page) < r.pageSize
	return nil
}

func samePosition(a, b position, ph phase) bool {
	if ph == phaseWindow || ph == phaseNew {
		if (a.cursor == nil) != (b.cursor == nil) || (a.cursor != nil && *a.cursor != *b.cursor) {
			return false
		}
	}
	if len(a.key) != len(b.key) {
		return false
	}
	for i := range a.key {
		if a.key[i] != b.key[i] {
			return false
		}
	}
	return true
}

// scanPage runs a page query and converts its rows.
func (r *reader) scanPage(ctx context.Context, tx *sqlx.Tx, q string, args []any) ([]row, error) {
	rows, err := tx.QueryxContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	nData := len(cols) - len(r.p.keys)
	if r.p.cursor != nil {
		nData--
	}
	if err := checkColumns(cols[:nData]); err != nil {
		return nil, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	dbTypes := make([]string, nData)
	for i := range dbTypes {
		dbTypes[i] = types[i].DatabaseTypeName()
	}
	r.cols = cols[:nData]
	// The rows' values share one array, grown a chunk at a time: one
	// allocation per chunk rather than one per row.
	const chunk = 256
	var flat []any
	var texts textChunk
	page := make([]row, 0, r.pageSize)
	for rows.Next() {
		clear(vals)
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		w, err := r.p.rowTexts(vals[nData:], &texts)
		if err != nil {
			return nil, err
		}
		if len(flat) < nData {
			flat = make([]any, nData*chunk)
		}
		w.vals, flat = flat[:nData:nData], flat[nData:]
		for i := range nData {
			w.vals[i] = fieldValue(r.src.d, dbTypes[i], vals[i])
		}
		page = append(page, w)
	}
	return page, rows.Err()
}

// checkColumns refuses column sets a Record.Fields map can not hold
// faithfully: two columns of one name, or one that uses the reserved prefix.
func checkColumns(cols []string) error {
	seen := make(map[string]bool, len(cols))
	for _, c := range cols {
		if strings.HasPrefix(c, reservedPrefix) {
			return fmt.Errorf("column %q uses the prefix %q reserved by lienthong; alias it in a query", c, reservedPrefix)
		}
		if seen[c] {
			return fmt.Errorf("column %q appears twice; alias one of them in the query", c)
		}
		seen[c] = true
	}
	return nil
}

// probe checks that a row read can be found again by its text.
func (s *Source) probe(ctx context.Context, tx *sqlx.Tx, p *plan, w row) error {
	q, args := p.probeQuery(w)
	var n int64
	if err := tx.QueryRowxContext(ctx, q, args...).Scan(&n); err != nil {
		return fmt.Errorf("check the row at key %q: %w", strings.Join(w.key, "|"), err)
	}
	switch {
	case n == 0:
		what := "the primary key"
		if p.cursor != nil {
			what = "the cursor or the primary key"
		}
		hint := ""
		switch s.d {
		case sqlite:
			hint = "; on SQLite select them as plain columns of a declared type, not expressions or typeless columns"
		case mysql:
			hint = "; on MySQL a FLOAT, BIT or spatial column does not round-trip: choose another column"
		}
		return fmt.Errorf("%w: the row at key %q is not found again by its own text, so paging after it would skip rows: "+
			"%s does not compare equal to its text%s", ErrInvalidStream, strings.Join(w.key, "|"), what, hint)
	case n > 1:
		return fmt.Errorf("%w: %d rows share the key %q: the primary key must be unique, or paging skips rows",
			ErrInvalidStream, n, strings.Join(w.key, "|"))
	}
	return nil
}

// Final returns the checkpoint the next read starts from, in pass-1 form;
// nil until Next has returned ErrEndOfStream, so that a misuse reads again
// rather than skips.
func (r *reader) Final() connectors.Checkpoint { return r.final }

// Close drops the page held. It never fails: the reader holds no
// connection between pages.
func (r *reader) Close() error {
	r.closed, r.page = true, nil
	return nil
}

var errClosed = errors.New("sqlsource: reader is closed")
