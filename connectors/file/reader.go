package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sync"

	"github.com/lienthong/lienthong/connectors"
)

// reader reads the files of one read in order, one open file at a time.
type reader struct {
	src  *Source
	p    *plan
	full bool
	log  *slog.Logger

	// cp is the checkpoint as the read moves on: files are added to its
	// history as they are read to the end.
	cp checkpoint
	// queue is the files still to look at, in read order.
	queue []dropped
	// resume is the file a previous read stopped in, until it is found.
	resume *position
	// newest is the file a full refresh falls back to when the one it
	// resumes is gone.
	newest *dropped
	cur    *current
	// root is the drop folder the read's files are opened through.
	root *os.Root

	final  connectors.Checkpoint
	closed bool
	// maps are records' Fields maps the caller gave back (Recycle).
	maps sync.Pool
}

// current is the file being read.
type current struct {
	d    dropped
	sha  string
	o    *opened
	pos  rowPositions
	row  int64
	next *connectors.Record
	// ahead holds the records fetch reads, in turn, so that it allocates
	// none: take still reads the one next points to while fetch writes the
	// other.
	ahead [2]connectors.Record
	flip  int
	// problem is the file's unreadable content, reported as its record.
	problem error
}

// Read starts a read of a stream from a checkpoint. Which files it reads,
// in which order, and the checkpoint format are in the package doc.
func (s *Source) Read(ctx context.Context, req connectors.ReadRequest) (connectors.Reader, error) {
	r, err := s.newReader(req)
	if err != nil {
		return nil, fmt.Errorf("read stream %q: %w", req.Stream.Name, err)
	}
	return r, nil
}

func (s *Source) newReader(req connectors.ReadRequest) (*reader, error) {
	p, err := s.newPlan(req.Stream)
	if err != nil {
		return nil, err
	}
	if err := p.checkMode(req.Mode); err != nil {
		return nil, err
	}
	cp, err := decodeCheckpoint(req.From)
	if err != nil {
		return nil, err
	}
	l, err := s.list(p)
	if err != nil {
		return nil, err
	}
	r := &reader{src: s, p: p, full: req.Mode == connectors.FullRefresh, cp: cp, resume: cp.Reading,
		log: s.log.With("stream", req.Stream.Name), root: l.root}
	r.cp.Reading = nil
	l.warnOutside(r.log)
	ready := l.ready()
	if l.waiting > 0 {
		r.log.Info("files not complete yet are left for a later read", "waiting", l.waiting, "pattern", p.pattern)
	}
	if r.full {
		if err := r.planFull(ready); err != nil {
			l.close()
			return nil, err
		}
		return r, nil
	}
	r.cp.trim(p.history)
	old := 0
	for _, d := range ready {
		// The file a read stopped in is read on, however old.
		if r.cp.pastHorizon(d) && (r.resume == nil || d.name != r.resume.Name) {
			old++
			continue
		}
		r.queue = append(r.queue, d)
	}
	if old > 0 {
		r.log.Debug("files older than the checkpoint's history count as read", "files", old, "horizon", r.cp.Horizon)
	}
	// The file a read stopped in goes first: a position in another file
	// would forget where this one stopped.
	if r.resume != nil {
		for i, d := range r.queue {
			if d.name == r.resume.Name {
				r.queue = append(append([]dropped{d}, r.queue[:i]...), r.queue[i+1:]...)
				break
			}
		}
	}
	return r, nil
}

// planFull picks the file a full refresh reads: the newest complete one,
// unless the checkpoint is within a refresh that already chose one.
func (r *reader) planFull(ready []dropped) error {
	if r.resume == nil && len(r.cp.Read) > 0 {
		return nil // this refresh read its file to the end already
	}
	r.cp = checkpoint{}
	if len(ready) == 0 {
		return fmt.Errorf("%w matches %q in %s, and a full refresh of nothing would delete every record: "+
			"wait for the department's export, or check the pattern", ErrNoFile, r.p.pattern, r.src.dir)
	}
	newest := ready[len(ready)-1]
	r.newest = &newest
	if r.resume == nil {
		r.queue = []dropped{newest}
		return nil
	}
	// Resume in the file the refresh started with, even if a newer one
	// came since: its rows are half stamped. Try its name first.
	order := []dropped{}
	for _, d := range ready {
		if d.name == r.resume.Name {
			order = append(order, d)
		}
	}
	for i := len(ready) - 1; i >= 0; i-- {
		if ready[i].name != r.resume.Name {
			order = append(order, ready[i])
		}
	}
	r.queue = order
	return nil
}

// Next returns the next record, or connectors.ErrEndOfStream.
func (r *reader) Next(ctx context.Context) (connectors.Record, error) {
	if r.closed {
		return connectors.Record{}, errors.New("file: read after Close")
	}
	if r.final != nil {
		return connectors.Record{}, connectors.ErrEndOfStream
	}
	for {
		if err := ctx.Err(); err != nil {
			return connectors.Record{}, err
		}
		if r.cur == nil {
			ok, err := r.openNext(ctx)
			if err != nil {
				return connectors.Record{}, err
			}
			if !ok {
				r.finish()
				return connectors.Record{}, connectors.ErrEndOfStream
			}
			continue
		}
		rec, ok, err := r.take()
		if err != nil {
			return connectors.Record{}, err
		}
		if ok {
			return rec, nil
		}
	}
}

// take returns the current file's next record with its Position. The file
// is read one record ahead, so that its last record can carry the
// checkpoint with the file done, rather than a position inside it.
func (r *reader) take() (connectors.Record, bool, error) {
	c := r.cur
	rec := c.next
	if rec == nil {
		// The file had no row, or its last one was taken.
		return connectors.Record{}, false, r.done()
	}
	var err error
	if c.next, err = r.fetch(); err != nil {
		return connectors.Record{}, false, err
	}
	c.row++
	if c.next == nil {
		if err := r.done(); err != nil {
			return connectors.Record{}, false, err
		}
		rec.Position = r.cp.encode()
	} else {
		// Encoded only if the engine needs this record's position: it
		// holds the whole history of files read.
		pos, row := c.pos, c.row
		rec.PositionFunc = func() connectors.Checkpoint { return pos.at(row) }
	}
	return *rec, true, nil
}

// fetch reads the current file's next record, nil at its end. An
// unreadable file becomes one malformed_file record in an incremental
// read; a full refresh fails instead, as deleting what a broken export
// did not list would be wrong.
func (r *reader) fetch() (*connectors.Record, error) {
	c := r.cur
	if c.problem != nil {
		err := c.problem
		c.problem = nil
		if r.full {
			return nil, fmt.Errorf("snapshot %s can not be read, so nothing is deleted: %w", c.d.name, err)
		}
		rec := fileRecord(c.d.name, err)
		return &rec, nil
	}
	if c.o == nil {
		return nil, nil
	}
	rec, err := c.o.next()
	switch {
	case err == nil:
	case err == io.EOF:
		return nil, nil
	case isProblem(err):
		c.problem = err
		return r.fetch()
	default:
		return nil, fmt.Errorf("read %s: %w", c.d.path, err)
	}
	c.flip ^= 1
	c.ahead[c.flip] = rec
	return &c.ahead[c.flip], nil
}

// done ends the current file: it must not have changed while it was read,
// and it joins the history.
func (r *reader) done() error {
	c := r.cur
	r.cur = nil
	if c.o != nil {
		c.o.close()
	}
	same, err := c.d.unchanged()
	if err != nil {
		return err
	}
	if !same {
		return fmt.Errorf("%w: %s was modified while lienthong read it, so it was not complete; "+
			"it will be read again in full once it is (have the department write files elsewhere and move them in, or write a done marker)",
			ErrChanged, c.d.name)
	}
	e := fileEntry{SHA256: c.sha, Name: c.d.name, Size: c.d.size, MTime: c.d.mtime}
	if r.full {
		r.cp = checkpoint{Read: []fileEntry{e}}
	} else {
		r.cp.add(e, r.p.history)
	}
	r.log.Info("file read", "file", c.d.name, "rows", c.row, "sha256", c.sha)
	return nil
}

// openNext opens the next file that was not read before, and reports
// whether there was one.
func (r *reader) openNext(ctx context.Context) (bool, error) {
	for len(r.queue) > 0 {
		d := r.queue[0]
		r.queue = r.queue[1:]
		if !r.full && r.cp.listed(d) {
			continue
		}
		sha, err := hashFile(ctx, d)
		if errors.Is(err, fs.ErrNotExist) {
			continue // taken away since the listing
		}
		if err != nil {
			return false, err
		}
		if same, err := d.unchanged(); err != nil {
			return false, err
		} else if !same {
			r.log.Info("file is still being written; it is left for a later read", "file", d.name)
			continue
		}
		var skip int64
		switch {
		case r.resume != nil && r.resume.SHA256 == sha:
			skip = r.resume.Row
			r.resume = nil
		case r.full && r.resume != nil:
			continue // not the file the refresh started with
		case !r.full && r.cp.known(sha):
			r.log.Debug("file has the content of a file read before; not read again", "file", d.name, "sha256", sha)
			continue
		}
		if r.full {
			r.queue = nil // a full refresh reads one file
		}
		return true, r.open(ctx, d, sha, skip)
	}
	if r.full && r.resume != nil && r.newest != nil {
		// Reading the newest file whole still ends in the right records;
		// those stamped from the vanished file and absent from this one
		// are deleted by the next full refresh instead.
		r.log.Warn("the snapshot this full refresh started with is gone or changed; reading the newest one from its start",
			"file", r.resume.Name, "sha256", r.resume.SHA256, "newest", r.newest.name)
		r.resume = nil
		r.queue = []dropped{*r.newest}
		r.newest = nil
		return r.openNext(ctx)
	}
	return false, nil
}

// open starts reading a file, skipping the rows a previous read delivered.
func (r *reader) open(ctx context.Context, d dropped, sha string, skip int64) error {
	c := &current{d: d, sha: sha}
	r.cur = c
	pcp := r.cp
	if r.full {
		pcp = checkpoint{}
	}
	c.pos = newRowPositions(pcp, sha, d.name)
	o, err := openFile(d, r.p)
	switch {
	case isProblem(err):
		c.problem = err
	case err != nil:
		r.cur = nil
		return fmt.Errorf("open %s: %w", d.path, err)
	default:
		c.o = o
		o.maps = &r.maps
		if o.format == formatCSV {
			r.log.Info("reading file", "file", d.name, "encoding", o.enc.enc, "encoding_by", o.enc.by,
				"confidence", o.enc.confidence, "delimiter", string(o.delim))
			if o.enc.by == byDetection && o.enc.confidence < lowConfidence {
				r.log.Warn("the file's encoding is a guess; declare it with the encoding option if its text looks wrong",
					"file", d.name, "encoding", o.enc.enc, "confidence", o.enc.confidence)
			}
		} else {
			r.log.Info("reading file", "file", d.name, "format", o.format)
		}
	}
	for c.row < skip {
		if c.row%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := r.fetch()
		if err != nil {
			return err
		}
		if rec == nil {
			break
		}
		c.row++
	}
	if c.row < skip {
		r.log.Warn("the file has fewer rows than the checkpoint says were read", "file", d.name, "rows", c.row, "checkpoint_row", skip)
	}
	c.next, err = r.fetch()
	return err
}

// lowConfidence is the vn.Detect confidence below which a detected
// encoding is logged as a guess.
const lowConfidence = 0.5

// finish sets the final checkpoint.
func (r *reader) finish() {
	if r.resume != nil {
		r.log.Warn("the file the last read stopped in is gone or changed; its remaining rows are not read",
			"file", r.resume.Name, "sha256", r.resume.SHA256, "row", r.resume.Row)
		r.resume = nil
	}
	r.final = r.cp.encode()
}

// Final returns the checkpoint the next read starts from: the history, with
// no file half read.
func (r *reader) Final() connectors.Checkpoint { return r.final }

// Recycle takes back the Fields map of a record the caller is done with,
// for a later record: the engine gives back the maps of every batch it
// commits (its fieldsRecycler). It is safe to call from another goroutine
// than Next's, even after Close.
func (r *reader) Recycle(fields map[string]any) {
	clear(fields)
	r.maps.Put(fields)
}

// Close closes the file being read, if any, and the folder.
func (r *reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	var err error
	if r.cur != nil && r.cur.o != nil {
		err = r.cur.o.close()
		r.cur = nil
	}
	r.root.Close()
	return err
}
