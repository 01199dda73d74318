package exec

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"unicode/utf8"
)

const (
	// maxStderrLine bounds one logged stderr line; the rest of a longer
	// line is dropped and counted.
	maxStderrLine = 4 << 10
	// tailLines and maxTailLine bound the stderr an error quotes.
	tailLines   = 10
	maxTailLine = 500
)

// stderrLog writes a program's stderr to the log line by line, with the
// secret hidden, and keeps the last lines for an error. os/exec calls Write
// from one goroutine; last may be called from another.
type stderrLog struct {
	log   *slog.Logger
	scrub func(string) string
	// limit is maxStderrLine plus the longest secret: a secret that starts
	// inside a logged line is held whole, to be hidden before the cut.
	limit int

	line    []byte
	dropped int

	mu   sync.Mutex
	tail []string
}

func newStderrLog(log *slog.Logger, scrub func(string) string, secrets []string) *stderrLog {
	w := &stderrLog{log: log, scrub: scrub, limit: maxStderrLine}
	for _, s := range secrets {
		w.limit = max(w.limit, maxStderrLine+len(s))
	}
	return w
}

func (w *stderrLog) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		chunk := b
		if i >= 0 {
			chunk = b[:i]
		}
		room := w.limit - len(w.line)
		if len(chunk) > room {
			w.line = append(w.line, chunk[:room]...)
			w.dropped += len(chunk) - room
		} else {
			w.line = append(w.line, chunk...)
		}
		if i < 0 {
			break
		}
		w.emit()
		b = b[i+1:]
	}
	return n, nil
}

// flush logs a last line that did not end with a newline.
func (w *stderrLog) flush() {
	if len(w.line) > 0 || w.dropped > 0 {
		w.emit()
	}
}

func (w *stderrLog) emit() {
	line := bytes.TrimRight(w.line, "\r")
	text := w.scrub(strings.ToValidUTF8(string(line), "\uFFFD"))
	if w.dropped > 0 || len(text) > maxStderrLine {
		text = fmt.Sprintf("%s… (cut, the line has %d bytes)", cutRunes(text, maxStderrLine), len(line)+w.dropped)
	}
	w.line, w.dropped = w.line[:0], 0
	if strings.TrimSpace(text) == "" {
		return
	}
	w.log.Log(context.Background(), levelOf(text), "program stderr", "line", text)
	w.mu.Lock()
	if len(w.tail) == tailLines {
		copy(w.tail, w.tail[1:])
		w.tail = w.tail[:tailLines-1]
	}
	if len(text) > maxTailLine {
		text = cutRunes(text, maxTailLine) + "…"
	}
	w.tail = append(w.tail, text)
	w.mu.Unlock()
}

// last returns the last stderr lines, oldest first.
func (w *stderrLog) last() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.tail...)
}

// levelOf reads the level a line starts with, as Singer taps and most
// logging libraries write it ("ERROR ...", "WARNING:..."); Info otherwise.
func levelOf(line string) slog.Level {
	word := strings.ToUpper(strings.TrimLeft(line, " \t["))
	switch {
	case strings.HasPrefix(word, "ERROR"), strings.HasPrefix(word, "CRITICAL"), strings.HasPrefix(word, "FATAL"):
		return slog.LevelError
	case strings.HasPrefix(word, "WARN"):
		return slog.LevelWarn
	case strings.HasPrefix(word, "DEBUG"):
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// cutRunes cuts s to at most n bytes without splitting a character.
func cutRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
