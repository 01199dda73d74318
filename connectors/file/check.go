package file

import (
	"context"
	"errors"
	"fmt"

	"github.com/lienthong/lienthong/connectors"
)

// ErrMalformedFile is returned, wrapped, by Check when the newest complete
// file can not be read: no header, a key column missing from it, not a
// spreadsheet. Reads report such a file as one malformed_file record.
var ErrMalformedFile = errors.New("file: malformed file")

// ErrOutsideLink is returned, wrapped, by Check when a file matching the
// stream's pattern is a symbolic link leading outside the drop folder.
// Reads never follow such a link; they log it and read the other files.
var ErrOutsideLink = errors.New("file: symbolic link leads outside the drop folder")

// Check verifies that the folder can be listed, that a complete file
// matches the stream's pattern (ErrNoFile says none is ready yet, and
// why), and that the newest one opens and its header has the stream's key
// columns.
func (s *Source) Check(ctx context.Context, st connectors.Stream) error {
	if err := s.check(ctx, st); err != nil {
		return fmt.Errorf("check stream %q: %w", st.Name, err)
	}
	return nil
}

func (s *Source) check(ctx context.Context, st connectors.Stream) error {
	p, err := s.newPlan(st)
	if err != nil {
		return err
	}
	l, err := s.list(p)
	if err != nil {
		return err
	}
	defer l.close()
	if len(l.outside) > 0 {
		return fmt.Errorf("%w: %s in %s is a symbolic link that leads outside the folder; it is never read: replace it with the file itself",
			ErrOutsideLink, quoteAll(l.outside), s.dir)
	}
	ready := l.ready()
	switch {
	case len(l.files) == 0:
		return fmt.Errorf("%w: no file in %s matches %q yet", ErrNoFile, s.dir, p.pattern)
	case len(ready) == 0 && p.doneSuffix != "":
		return fmt.Errorf("%w: %d file(s) match %q but none has its done marker (<name>%s) yet", ErrNoFile, l.waiting, p.pattern, p.doneSuffix)
	case len(ready) == 0:
		return fmt.Errorf("%w: %d file(s) match %q but all were modified less than %s ago, so may still be written", ErrNoFile, l.waiting, p.pattern, p.minAge)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	newest := ready[len(ready)-1]
	o, err := openFile(newest, p)
	if isProblem(err) {
		return fmt.Errorf("%w: %s: %v", ErrMalformedFile, newest.name, err)
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", newest.path, err)
	}
	return o.close()
}
