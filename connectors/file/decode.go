package file

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"

	"github.com/lienthong/lienthong/mapping/vn"
)

// sampleBytes is how much of a file encoding detection and delimiter
// sniffing look at.
const sampleBytes = 64 << 10

// How a file's encoding was decided.
const (
	bySetting   = "declared"
	byBOM       = "bom"
	byDetection = "detected"
)

// encodingChoice is a file's encoding and how it was found.
type encodingChoice struct {
	enc vn.Encoding
	by  string
	// confidence is vn.Detect's, or 1 for a BOM or a declared encoding.
	confidence float64
}

// line is one line of a text file, decoded.
type line struct {
	// text is UTF-8 NFC without the line ending. When bad is set it is a
	// lossy reading that keeps the ASCII delimiters and quotes, so that the
	// record the line belongs to can still be found.
	text string
	// num is the 1-based line number.
	num int
	bad string
}

// lineReader reads a text file line by line, decoding each with vn.Decode.
// Every encoding lienthong reads keeps the line feed a line feed, so
// decoding line by line never splits a character.
type lineReader struct {
	br     *bufio.Reader
	choice encodingChoice
	// wide is UTF-16: lines end at a 2-byte line feed.
	wide, bigEndian bool
	max             int
	num             int
	acc             []byte
}

// newLineReader decides the encoding (a byte order mark first, then the
// declared encoding, then detection on the first bytes) and returns a
// reader positioned after the byte order mark.
func newLineReader(r io.Reader, s settings) (*lineReader, error) {
	br := bufio.NewReaderSize(r, sampleBytes)
	lr := &lineReader{br: br, max: s.maxRowBytes}
	head, err := br.Peek(3)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		lr.choice = encodingChoice{enc: vn.UTF8, by: byBOM, confidence: 1}
		br.Discard(3)
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		lr.choice = encodingChoice{enc: vn.UTF16LE, by: byBOM, confidence: 1}
		br.Discard(2)
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		lr.choice = encodingChoice{enc: vn.UTF16BE, by: byBOM, confidence: 1}
		br.Discard(2)
	case s.declared:
		lr.choice = encodingChoice{enc: s.encoding, by: bySetting, confidence: 1}
	default:
		sample, err := br.Peek(sampleBytes)
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			return nil, err
		}
		enc, conf := vn.Detect(samples(sample, err == nil))
		lr.choice = encodingChoice{enc: enc, by: byDetection, confidence: conf}
	}
	lr.wide = lr.choice.enc == vn.UTF16LE || lr.choice.enc == vn.UTF16BE
	lr.bigEndian = lr.choice.enc == vn.UTF16BE
	return lr, nil
}

// bomOf returns the byte order mark of enc, or nil for an encoding
// without one.
func bomOf(enc vn.Encoding) []byte {
	switch enc {
	case vn.UTF8:
		return []byte{0xEF, 0xBB, 0xBF}
	case vn.UTF16LE:
		return []byte{0xFF, 0xFE}
	case vn.UTF16BE:
		return []byte{0xFE, 0xFF}
	}
	return nil
}

// samples cuts the start of a file into what vn.Detect scores: its lines,
// without the last one when the sample stops inside it. Text with NUL bytes
// is most likely UTF-16, whose line feeds are two bytes: it goes whole.
func samples(b []byte, truncated bool) [][]byte {
	if bytes.IndexByte(b, 0) >= 0 {
		return [][]byte{b[:len(b)&^1]}
	}
	var out [][]byte
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if !truncated {
				out = append(out, b)
			}
			break
		}
		if i > 0 {
			out = append(out, b[:i])
		}
		b = b[i+1:]
	}
	return out
}

// next returns the next line, or io.EOF.
func (lr *lineReader) next() (line, error) {
	raw, tooLong, err := lr.readRaw()
	if err != nil {
		return line{}, err
	}
	lr.num++
	l := line{num: lr.num}
	if tooLong > 0 {
		l.text = strings.TrimRight(lossy(lr.choice.enc, raw), "\r\n")
		l.bad = fmt.Sprintf("the line is %d bytes long, more than max_row_bytes (%d)", tooLong, lr.max)
		return l, nil
	}
	text, derr := vn.Decode(lr.choice.enc, raw)
	if derr != nil {
		text = lossy(lr.choice.enc, raw)
		l.bad = derr.Error()
	} else if bom := bomOf(lr.choice.enc); bom != nil && bytes.HasPrefix(raw, bom) {
		// vn.Decode drops a byte order mark that starts the text it is
		// given. The file's own was read past (newLineReader): one that
		// starts a later line is that line's U+FEFF, kept as encoding/csv
		// keeps it.
		text = "\uFEFF" + text
	}
	l.text = strings.TrimSuffix(strings.TrimSuffix(text, "\n"), "\r")
	return l, nil
}

// readRaw returns the next line's bytes with their line ending. A line
// longer than max is cut to its first max bytes, and its full length
// returned as tooLong; the rest is read and dropped, so memory stays bounded.
func (lr *lineReader) readRaw() (raw []byte, tooLong int, err error) {
	lr.acc = lr.acc[:0]
	total := 0
	var prev byte // the byte before the chunk, for UTF-16BE line feeds
	keep := func(b []byte) {
		if room := lr.max - len(lr.acc); room > 0 {
			lr.acc = append(lr.acc, b[:min(room, len(b))]...)
		}
		total += len(b)
	}
	for {
		chunk, err := lr.br.ReadSlice('\n')
		before := prev
		if len(chunk) > 1 {
			before = chunk[len(chunk)-2]
		}
		if len(chunk) > 0 {
			prev = chunk[len(chunk)-1]
		}
		keep(chunk)
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF:
			if total == 0 {
				return nil, 0, io.EOF
			}
		case err != nil:
			return nil, 0, err
		case lr.wide:
			// A '\n' byte is a line feed only as a whole unit: 0A 00 at an
			// even offset in little-endian text, 00 0A at an odd one in
			// big-endian; otherwise it is half of another character.
			pos := total - 1
			if lr.bigEndian {
				if pos%2 != 1 || before != 0 {
					continue
				}
			} else {
				if pos%2 != 0 {
					continue
				}
				next, perr := lr.br.Peek(1)
				if perr != nil || next[0] != 0 {
					continue
				}
				lr.br.Discard(1)
				keep([]byte{0})
			}
		}
		if total > lr.max {
			return lr.acc, total, nil
		}
		return lr.acc, 0, nil
	}
}

// lossy reads bytes that did not decode, for the reject that shows them:
// UTF-16 unit by unit, anything else as UTF-8 where it is.
func lossy(enc vn.Encoding, b []byte) string {
	if enc != vn.UTF16LE && enc != vn.UTF16BE {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		if enc == vn.UTF16BE {
			units[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			units[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		}
	}
	return string(utf16.Decode(units))
}
