package file

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
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

// dropped is one file that matches a stream's pattern.
type dropped struct {
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
	files []dropped
	// waiting counts matching files that are not complete yet.
	waiting int
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
// done markers are never data, whatever the pattern says.
func (s *Source) list(p *plan) (listing, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return listing{}, fmt.Errorf("list folder %s: %w (check that it exists and that lienthong may read it)", s.dir, err)
	}
	names := make(map[string]bool, len(entries))
	for _, e := range entries {
		names[e.Name()] = true
	}
	now := s.now()
	var l listing
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
		// Stat follows a symbolic link to the file it names.
		fi, err := os.Stat(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed since the listing, or a dangling link
			}
			return listing{}, fmt.Errorf("stat %s: %w", path, err)
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		d := dropped{name: name, path: path, size: fi.Size(), mtime: fi.ModTime().UTC()}
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
	fi, err := os.Stat(d.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stat %s: %w", d.path, err)
	}
	return fi.Size() == d.size && fi.ModTime().UTC().Equal(d.mtime), nil
}

// hashFile returns the hex SHA-256 of a file's content. It reads in
// chunks so that a cancelled context stops it on a large file.
func hashFile(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
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
