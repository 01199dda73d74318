package cli_test

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/creack/pty"
)

// onTerminal runs cmd with its standard error on a pseudo-terminal, as an
// operator's shell would, and returns what the terminal received.
func onTerminal(t *testing.T, cmd *exec.Cmd) (string, error) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, tty
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	var screen bytes.Buffer
	copied := make(chan error, 1)
	go func() {
		_, err := io.Copy(&screen, ptmx)
		copied <- err
	}()
	runErr := cmd.Wait()
	// Once the child is gone, reading the terminal's master ends with EIO.
	if err := <-copied; err != nil && !errors.Is(err, syscall.EIO) {
		t.Fatal(err)
	}
	return screen.String(), runErr
}

// TestProgressOnTerminal: on a terminal, sync and rejects retry draw a
// progress line, rewritten in place, that ends with the records read, the
// rate and the time taken; with a total (a retry knows how many rejects it
// reads) it says how far along the run is.
func TestProgressOnTerminal(t *testing.T) {
	cfg := sqliteDepartment(t, 3000, func(id int) bool { return id%3 == 0 }, "")
	screen, err := onTerminal(t, child(t, nil, "sync", "--config", cfg))
	if err != nil {
		t.Fatalf("sync: %v\n%s", err, screen)
	}
	if !strings.Contains(screen, "\r\x1b[Ktu-phap/ho-tich/khai-sinh: 3000 read, ") || !strings.Contains(screen, "/s, ") ||
		!strings.Contains(screen, " elapsed") {
		t.Errorf("no progress line for sync on a terminal:\n%q", screen)
	}
	// A full refresh reads the whole table, whose size the source
	// estimates.
	screen, err = onTerminal(t, child(t, nil, "sync", "--full-refresh", "--config", cfg))
	if err != nil {
		t.Fatalf("sync --full-refresh: %v\n%s", err, screen)
	}
	if !strings.Contains(screen, "\r\x1b[Ktu-phap/ho-tich/khai-sinh: 3000 of about 3000 read (100%), ") {
		t.Errorf("no progress line with a total for a full refresh:\n%q", screen)
	}
	screen, err = onTerminal(t, child(t, nil, "rejects", "retry", "--config", cfg))
	if err != nil {
		t.Fatalf("rejects retry: %v\n%s", err, screen)
	}
	if !strings.Contains(screen, "\r\x1b[Ktu-phap/ho-tich/khai-sinh: 1000 of about 1000 read (100%), ") {
		t.Errorf("no progress line with a total for rejects retry:\n%q", screen)
	}
	// The log lines are whole lines, not glued to a progress line.
	for _, l := range strings.Split(screen, "\n") {
		if i := strings.Index(l, "time="); i > 0 && !strings.HasSuffix(l[:i], "\x1b[K") {
			t.Errorf("a log line shares its line with progress: %q", l)
		}
	}
}

// TestNoProgressOffTerminal: into a pipe or a file, as under a scheduler
// or a log collector, there is no progress line.
func TestNoProgressOffTerminal(t *testing.T) {
	cfg := sqliteDepartment(t, 3000, func(id int) bool { return id%3 == 0 }, "")
	var stderr bytes.Buffer
	cmd := child(t, nil, "sync", "--config", cfg)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("sync: %v\n%s", err, stderr.String())
	}
	if strings.ContainsAny(stderr.String(), "\r\x1b") || strings.Contains(stderr.String(), " read, ") {
		t.Errorf("progress written to a pipe:\n%q", stderr.String())
	}
	if !strings.Contains(stderr.String(), `msg="run ended"`) {
		t.Errorf("the log is missing:\n%s", stderr.String())
	}
}
