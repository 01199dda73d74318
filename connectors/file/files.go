package file

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// ErrNoFile is returned, wrapped, when no complete file matches a stream's
// pattern: none was dropped yet, or those that were are still being
// written. It is not a fault of the configuration; try again later.
var ErrNoFile = errors.New("file: no complete file")

// ErrChanged is returned, wrapped, when a file changed while it was read:
// it was not complete after all. The next read reads it again in full.
var ErrChanged = errors.New("file: file changed while it was read")

// dropped is one file that matches a stream's pattern. It is only ever
// opened through root, so that a symbolic link can not lead a read out
// of the drop folder.
type dropped struct {
	root  *os.Root
	name  string
	path  string
	size  int64
	mtime time.Time
	// ready says the file is complete by the stream's readiness rule.
	ready bool
}

func (d dropped) before(e dropped) bool {
	if !d.mtime.Equal(e.mtime) {
		return d.mtime.Before(e.mtime)
	}
	return d.name < e.name
}

// listing is what a folder holds for a stream, in read order: modification
// time, then name.
type listing struct {
	// root is the drop folder, open; close it with close.
	root  *os.Root
	files []dropped
	// waiting counts matching files that are not complete yet.
	waiting int
	// outside are the matching names that are symbolic links leading out
	// of the folder: refused, never read.
	outside []string
}

// close releases the folder.
func (l listing) close() {
	if l.root != nil {
		l.root.Close()
	}
}

// warnOutside logs the links a listing refused.
func (l listing) warnOutside(log *slog.Logger) {
	for _, name := range l.outside {
		log.Warn("a symbolic link in the drop folder leads outside it; it is refused and never read: replace it with the file itself",
			"file", name)
	}
}

func (l listing) ready() []dropped {
	var out []dropped
	for _, f := range l.files {
		if f.ready {
			out = append(out, f)
		}
	}
	return out
}

// list reads the folder once. Hidden files, Excel's lock files (~$name) and
// done markers are never data, whatever the pattern says. The folder is
// opened as an os.Root: a symbolic link is followed only while it stays
// inside the folder, so a link to a file elsewhere (directly, through a
// linked directory or through "..") is refused here, and can not be
// swapped in later either, as every file is opened through the same root.
// The caller closes the listing.
func (s *Source) list(p *plan) (listing, error) {
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		return listing{}, fmt.Errorf("open folder %s: %w (check that it exists and that lienthong may read it)", s.dir, err)
	}
	l := listing{root: root}
	entries, err := fs.ReadDir(root.FS(), ".")
	if err != nil {
		l.close()
		return listing{}, fmt.Errorf("list folder %s: %w (check that lienthong may read it)", s.dir, err)
	}
	names := make(map[string]bool, len(entries))
	for _, e := range entries {
		names[e.Name()] = true
	}
	now := s.now()
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") ||
			(p.doneSuffix != "" && strings.HasSuffix(name, p.doneSuffix)) {
			continue
		}
		if ok, _ := filepath.Match(p.pattern, name); !ok {
			continue
		}
		path := filepath.Join(s.dir, name)
		// Stat follows a symbolic link to the file it names, within the
		// folder only.
		fi, err := root.Stat(name)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed since the listing, or a dangling link
			}
			if e.Type()&fs.ModeSymlink != 0 {
				l.outside = append(l.outside, name)
				continue
			}
			l.close()
			return listing{}, fmt.Errorf("stat %s: %w", path, err)
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		d := dropped{root: root, name: name, path: path, size: fi.Size(), mtime: fi.ModTime().UTC()}
		if p.doneSuffix != "" {
			d.ready = names[name+p.doneSuffix]
		} else {
			d.ready = now.Sub(d.mtime) >= p.minAge
		}
		if !d.ready {
			l.waiting++
		}
		l.files = append(l.files, d)
	}
	sort.Slice(l.files, func(i, j int) bool { return l.files[i].before(l.files[j]) })
	return l, nil
}

// unchanged reports whether a file still has the size and modification
// time it was listed with. A writer that is not done changes one of them.
func (d dropped) unchanged() (bool, error) {
	fi, err := d.root.Stat(d.name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stat %s: %w", d.path, err)
	}
	return fi.Size() == d.size && fi.ModTime().UTC().Equal(d.mtime), nil
}

// open opens the file for reading, through the folder's root.
func (d dropped) open() (*os.File, error) { return d.root.Open(d.name) }

// hashFile returns the hex SHA-256 of a file's content. It reads in
// chunks so that a cancelled context stops it on a large file.
func hashFile(ctx context.Context, d dropped) (string, error) {
	path := d.path
	f, err := d.open()
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 256<<10)
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			return hex.EncodeToString(h.Sum(nil)), nil
		}
		if err != nil {
			return "", fmt.Errorf("hash %s: %w", path, err)
		}
	}
}
