package exec

import (
	"bufio"
	"errors"
	"io"
)

// errLineTooLong is returned by lineReader.next for a line longer than its
// limit; the line returned with it is the start of that line.
var errLineTooLong = errors.New("exec: line too long")

// lineReader reads lines of bounded length. A line that fits the bufio
// buffer is returned without copying; a longer one is gathered in long,
// up to max bytes. A returned line is valid until the next call.
type lineReader struct {
	br   *bufio.Reader
	max  int
	long []byte
	// n is the number of the line last returned, from 1.
	n int
}

func (l *lineReader) next() ([]byte, error) {
	frag, err := l.br.ReadSlice('\n')
	if len(frag) == 0 && err != nil {
		return nil, err
	}
	l.n++
	if !errors.Is(err, bufio.ErrBufferFull) {
		if err != nil && err != io.EOF {
			return nil, err
		}
		// A last line without a newline is a line too.
		return l.check(frag)
	}
	if cap(l.long) > 4<<20 {
		// Do not keep a huge buffer for the rest of the run.
		l.long = nil
	}
	l.long = append(l.long[:0], frag...)
	for {
		if len(l.long) > l.max+1 {
			return l.long[:min(len(l.long), 256)], errLineTooLong
		}
		frag, err = l.br.ReadSlice('\n')
		l.long = append(l.long, frag...)
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
		case err == nil, err == io.EOF:
			return l.check(l.long)
		default:
			return nil, err
		}
	}
}

// check applies the limit to a whole line, its newline not counted.
func (l *lineReader) check(line []byte) ([]byte, error) {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
	}
	if n > l.max {
		return line[:min(len(line), 256)], errLineTooLong
	}
	return line, nil
}
