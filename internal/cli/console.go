package cli

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/mattn/go-isatty"
)

// console is a command's standard error: its log lines, in the format and
// at the level --log-format and --log-level ask for, and, on a terminal,
// a progress line rewritten in place.
//
// It travels as Env.Stderr, so every command and helper that writes to
// Env.Stderr or makes its logger from it gets the settings without a new
// parameter.
type console struct {
	w io.Writer
	// format is "text" or "json"; level the least level logged.
	format string
	level  slog.Level
	// formatSet says --log-format was given, so a command with a default
	// of its own (serve logs JSON) leaves it alone.
	formatSet bool
	// terminal says w is a terminal: progress lines are drawn only there,
	// never into a file or a pipe a log collector reads.
	terminal bool

	mu sync.Mutex
	// shown says a progress line is on screen, to be cleared before
	// anything else is written.
	shown bool
}

// newConsole wraps a command's standard error; a *console is returned as
// it is, so Main may be called with one.
func newConsole(w io.Writer) *console {
	if c, ok := w.(*console); ok {
		return c
	}
	c := &console{w: w, format: "text", level: slog.LevelInfo}
	if f, ok := w.(*os.File); ok {
		c.terminal = isatty.IsTerminal(f.Fd())
	}
	return c
}

// clearLine erases a progress line: back to the start, erase to the end.
const clearLine = "\r\x1b[K"

// Write writes p below any progress line, which the next tick redraws.
func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shown {
		io.WriteString(c.w, clearLine)
		c.shown = false
	}
	return c.w.Write(p)
}

// draw shows line as the progress line, replacing the one shown.
func (c *console) draw(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	io.WriteString(c.w, clearLine+line)
	c.shown = true
}

// done leaves the last progress line on screen and ends it.
func (c *console) done(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	io.WriteString(c.w, clearLine+line+"\n")
	c.shown = false
}

// logFlags adds --log-format and --log-level to fs, defaulting to what c
// holds, so they may be given before the command or among its flags.
func (c *console) logFlags(fs *flag.FlagSet) {
	fs.Func("log-format", "log lines as `text` (key=value) or json, one object a line (default "+c.format+")", func(s string) error {
		if s != "text" && s != "json" {
			return fmt.Errorf("unknown log format %q: use text or json", s)
		}
		c.format, c.formatSet = s, true
		return nil
	})
	fs.TextVar(&c.level, "log-level", c.level, "log only lines at this `level` or above: debug, info, warn or error")
}

// logger returns the logger of a command writing to w: a console's format
// and level, or text at info level for any other writer.
func logger(w io.Writer) *slog.Logger {
	c, ok := w.(*console)
	if !ok {
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	opts := &slog.HandlerOptions{Level: c.level}
	if c.format == "json" {
		return slog.New(slog.NewJSONHandler(c, opts))
	}
	return slog.New(slog.NewTextHandler(c, opts))
}
