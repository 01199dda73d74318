package httpjson

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lienthong/lienthong/connectors"
)

var errClosed = errors.New("httpjson: reader is closed")

// reader reads one stream page by page. It holds one page at most.
type reader struct {
	src  *Source
	p    *plan
	full bool

	// since filters an incremental read: records below it, and those at
	// it whose key is in sinceTies, were delivered by an earlier read.
	since     *cursor
	sinceTies []string

	// max and ties are the greatest cursor delivered and the keys
	// delivered with it: the checkpoint of the next read.
	max      *cursor
	ties     []string
	overflow bool

	// ps is the page being handed out, after the page to fetch next.
	ps, after pageState
	done      bool
	started   bool
	resume    *readPos
	page      []any
	i         int
	resp      *response
	last      pageSig

	skippedOld, skippedTies int
	final                   connectors.Checkpoint
	closed                  bool

	// requests and maxPage count page requests and the largest page, for
	// tests that prove memory stays bounded.
	requests, maxPage int
}

// pageSig tells two pages apart cheaply, to stop an API that ignores the
// page parameter from feeding the same page forever.
type pageSig struct {
	n           int
	first, last string
}

// Read starts a read of a stream from a checkpoint. The order, the
// filtering and the checkpoint format are in the package doc.
func (s *Source) Read(_ context.Context, req connectors.ReadRequest) (connectors.Reader, error) {
	r, err := s.newReader(req)
	if err != nil {
		return nil, fmt.Errorf("read stream %q: %w", req.Stream.Name, err)
	}
	return r, nil
}

func (s *Source) newReader(req connectors.ReadRequest) (*reader, error) {
	p, err := s.newPlan(req.Stream, req.PageSize)
	if err != nil {
		return nil, err
	}
	cp, err := decodeCheckpoint(req.From, p.set.pag.typ)
	if err != nil {
		return nil, err
	}
	r := &reader{src: s, p: p, after: p.first()}
	parse := func(t *string) *cursor {
		if t == nil {
			return nil
		}
		c := parseCursor(*t)
		return &c
	}
	switch req.Mode {
	case connectors.Incremental:
		if p.cursor == nil {
			return nil, fmt.Errorf("%w: an incremental read needs a cursor field; set cursor or read in %s mode",
				ErrInvalidStream, connectors.FullRefresh)
		}
		if cp.Read != nil && cp.Read.Full {
			return nil, fmt.Errorf("%w: it is from an unfinished full refresh, whose later pages were never read; "+
				"finish it in %s mode or reset the checkpoint", ErrCheckpoint, connectors.FullRefresh)
		}
		r.max, r.ties, r.overflow = parse(cp.Cursor), cp.Ties, cp.TiesOverflow
		switch {
		case cp.Read != nil:
			r.since, r.sinceTies = parse(cp.Read.Since), cp.Read.SinceTies
			r.resumeFrom(cp.Read)
		case cp.Cursor != nil && p.lookBack != "":
			low, err := lowerCursor(*r.max, p.lookBack)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrInvalidStream, err)
			}
			// The window is read again whole, ties included.
			r.since = parse(&low)
		case cp.Cursor != nil:
			r.since = r.max
			if !cp.TiesOverflow {
				r.sinceTies = cp.Ties
			}
		}
	case connectors.FullRefresh:
		r.full = true
		// A checkpoint of an unfinished full refresh resumes it; any other
		// starts a new one.
		if cp.Read != nil && cp.Read.Full {
			r.max, r.ties, r.overflow = parse(cp.Cursor), cp.Ties, cp.TiesOverflow
			r.resumeFrom(cp.Read)
		}
	default:
		return nil, fmt.Errorf("%w: mode %q is neither %s nor %s", ErrInvalidStream, req.Mode,
			connectors.Incremental, connectors.FullRefresh)
	}
	return r, nil
}

func (r *reader) resumeFrom(rp *readPos) {
	switch {
	case rp.Page != nil:
		r.after.page = *rp.Page
	case rp.Offset != nil:
		r.after.offset = *rp.Offset
	case rp.Token != nil:
		r.after.token = *rp.Token
	}
	r.after.link = rp.URL
	r.resume = rp
}

// Next returns the next record, or connectors.ErrEndOfStream.
func (r *reader) Next(ctx context.Context) (connectors.Record, error) {
	if r.closed {
		return connectors.Record{}, fmt.Errorf("read stream %q: %w", r.p.name, errClosed)
	}
	// A cancelled read stops now, even with records of the page left: a
	// page may hold the whole stream (pagination none), and ending it
	// normally would report a read the caller gave up on as complete.
	if err := ctx.Err(); err != nil {
		return connectors.Record{}, fmt.Errorf("read stream %q: %w", r.p.name, err)
	}
	for {
		if r.i < len(r.page) {
			rec, ok, err := r.take()
			if err != nil {
				return connectors.Record{}, fmt.Errorf("read stream %q: %w", r.p.name, r.src.secrets.scrubErr(err))
			}
			if ok {
				return rec, nil
			}
			continue
		}
		if r.started && r.done {
			r.finish()
			return connectors.Record{}, connectors.ErrEndOfStream
		}
		if err := r.fetch(ctx); err != nil {
			return connectors.Record{}, fmt.Errorf("read stream %q: %w", r.p.name, err)
		}
	}
}

// fetch requests the next page and makes it current.
func (r *reader) fetch(ctx context.Context) error {
	ps := r.after
	u, err := r.p.requestURL(ps, r.sinceText())
	if err != nil {
		return err
	}
	resp, err := r.src.getJSON(ctx, u)
	if err != nil {
		return err
	}
	r.requests++
	recs, err := r.p.records(r.src, resp)
	if err != nil {
		return err
	}
	next, done, err := r.p.next(r.src, resp, ps, len(recs))
	if err != nil {
		return err
	}
	// The page is what is kept; the rest of the body can go.
	resp.body = nil
	sig := pageSig{n: len(recs)}
	if len(recs) > 0 {
		sig.first, sig.last = r.p.rawKey(recs[0]), r.p.rawKey(recs[len(recs)-1])
		if r.started && sig == r.last {
			return r.src.fail(resp, "the API answered two pages in a row with the same records; check the pagination options (page_param, offset_param, token_param)")
		}
	}
	r.last, r.started = sig, true
	r.ps, r.after, r.done = ps, next, done
	r.page, r.i, r.resp = recs, 0, resp
	r.maxPage = max(r.maxPage, len(recs))
	if r.resume != nil {
		r.i = r.resumeIndex(r.resume)
		r.resume = nil
	}
	return nil
}

// rawKey is a record's key for comparisons, or "" when it has none.
func (p *plan) rawKey(v any) string {
	obj, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	k, _ := p.keyOf(obj)
	return k
}

// resumeIndex finds where a resumed read goes on in its first page: after
// the record the checkpoint names. If the page changed and that record is
// not on it any more, the page is delivered again from its start: a
// duplicate is harmless downstream, a skipped record is not.
func (r *reader) resumeIndex(rp *readPos) int {
	n := rp.Next
	if n > 0 && n <= len(r.page) && r.p.rawKey(r.page[n-1]) == rp.LastKey {
		return n
	}
	for i, v := range r.page {
		if r.p.rawKey(v) == rp.LastKey {
			return i + 1
		}
	}
	r.src.log.Warn("resuming a read: the last record delivered is no longer on its page; delivering the page again",
		"source", r.src.name, "stream", r.p.name, "key", rp.LastKey, "url", r.resp.shown)
	return 0
}

// keyOf is the record's primary key values joined by "|".
func (p *plan) keyOf(obj map[string]any) (string, error) {
	if len(p.keys) == 1 {
		return p.keyPart(obj, p.keys[0])
	}
	parts := make([]string, len(p.keys))
	for i, k := range p.keys {
		v, err := p.keyPart(obj, k)
		if err != nil {
			return "", err
		}
		parts[i] = v
	}
	return strings.Join(parts, "|"), nil
}

func (p *plan) keyPart(obj map[string]any, k fieldPath) (string, error) {
	v, ok := k.get(obj)
	if !ok {
		return "", fmt.Errorf("primary key field %q is missing", k.name)
	}
	t, err := keyText(v)
	if err != nil {
		return "", fmt.Errorf("primary key field %q %v", k.name, err)
	}
	return t, nil
}

// take handles the current record: it returns it, or ok false when the
// incremental filter drops it.
func (r *reader) take() (connectors.Record, bool, error) {
	idx := r.i
	raw := r.page[idx]
	// Let the page's records go as soon as they are handed out.
	r.page[idx] = nil
	r.i++
	obj, ok := raw.(map[string]any)
	if !ok {
		return connectors.Record{}, false, r.src.fail(r.resp, "record %d of the page is %s, not an object", idx, jsonType(raw))
	}
	key, err := r.p.keyOf(obj)
	if err != nil {
		return connectors.Record{}, false, r.src.fail(r.resp, "record %d of the page: %v (every record needs its primary key)", idx, err)
	}
	var cur *cursor
	if r.p.cursor != nil {
		v, _ := r.p.cursor.get(obj)
		text, null, err := cursorText(v)
		if err != nil {
			return connectors.Record{}, false, r.src.fail(r.resp, "record %s: cursor field %q %v", key, r.p.cursor.name, err)
		}
		if !null {
			c := parseCursor(text)
			cur = &c
		}
	}
	if !r.full && r.since != nil && cur != nil {
		cmp, err := cur.compare(*r.since)
		if err != nil {
			return connectors.Record{}, false, r.src.fail(r.resp, "record %s: %v", key, err)
		}
		switch {
		case cmp < 0:
			r.skippedOld++
			return connectors.Record{}, false, nil
		case cmp == 0 && contains(r.sinceTies, key):
			r.skippedTies++
			return connectors.Record{}, false, nil
		}
	}
	if cur != nil {
		if err := r.track(*cur, key); err != nil {
			return connectors.Record{}, false, r.src.fail(r.resp, "record %s: %v", key, err)
		}
	}
	fields := convert(obj).(map[string]any)
	rec := connectors.Record{Key: key, Fields: fields, NullCursor: r.p.cursor != nil && cur == nil}
	if r.p.set.flatten {
		flat, err := flatten(fields)
		if err != nil {
			rec.Problem = &connectors.Problem{Code: "malformed_record", Message: fmt.Sprintf("record %s from %s: %v", key, r.resp.shown, err)}
		} else {
			rec.Fields = flat
		}
	}
	rec.Position = r.position(idx+1, key)
	return rec, true, nil
}

// track moves the greatest cursor delivered and its ties.
func (r *reader) track(c cursor, key string) error {
	if r.max == nil {
		r.max, r.ties, r.overflow = &c, []string{key}, false
		return nil
	}
	cmp, err := c.compare(*r.max)
	if err != nil {
		return err
	}
	switch {
	case cmp > 0:
		r.max, r.ties, r.overflow = &c, []string{key}, false
	case cmp == 0 && !r.overflow:
		if i, found := slices.BinarySearch(r.ties, key); !found {
			if len(r.ties) >= maxTies {
				r.ties, r.overflow = nil, true
				return nil
			}
			r.ties = slices.Insert(r.ties, i, key)
		}
	}
	return nil
}

func contains(sorted []string, key string) bool {
	_, found := slices.BinarySearch(sorted, key)
	return found
}

func (r *reader) sinceText() *string {
	if r.since == nil {
		return nil
	}
	return &r.since.text
}

func (r *reader) maxText() *string {
	if r.max == nil {
		return nil
	}
	return &r.max.text
}

// position is the checkpoint that resumes the read after the next-th
// record of the current page.
func (r *reader) position(next int, lastKey string) connectors.Checkpoint {
	rp := &readPos{Full: r.full, Since: r.sinceText(), SinceTies: r.sinceTies, Next: next, LastKey: lastKey, URL: r.ps.link}
	switch r.p.set.pag.typ {
	case pageNumber:
		v := r.ps.page
		rp.Page = &v
	case pageOffset:
		v := r.ps.offset
		rp.Offset = &v
	case pageCursor:
		v := r.ps.token
		rp.Token = &v
	}
	return checkpoint{Cursor: r.maxText(), Ties: r.ties, TiesOverflow: r.overflow, Read: rp}.encode()
}

func (r *reader) finish() {
	if r.final != nil {
		return
	}
	r.final = checkpoint{Cursor: r.maxText(), Ties: r.ties, TiesOverflow: r.overflow}.encode()
	if r.skippedOld > 0 {
		r.src.log.Info("records older than the checkpoint were dropped; if this is most of each read, the API ignores cursor_param",
			"source", r.src.name, "stream", r.p.name, "dropped", r.skippedOld)
	}
	if r.skippedTies > 0 {
		r.src.log.Debug("records at the checkpoint's cursor, delivered by the previous read, were dropped",
			"source", r.src.name, "stream", r.p.name, "dropped", r.skippedTies)
	}
}

// Final returns the checkpoint the next incremental read starts from. It
// is valid only after Next returned connectors.ErrEndOfStream.
func (r *reader) Final() connectors.Checkpoint { return r.final }

// Close ends the read.
func (r *reader) Close() error {
	r.closed = true
	r.page, r.resp = nil, nil
	return nil
}
