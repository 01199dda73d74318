package exec

import (
	"context"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/lienthong/lienthong/connectors"
)

// waitDelay is how long a program's children may keep stderr, or stdout
// after a stop, open once the program has exited or been killed.
const waitDelay = 5 * time.Second

// errTimeout is the cause of a process context that ran out of time, to
// tell the source's own timeout from a deadline of the caller's.
var errTimeout = errors.New("exec: program timed out")

// ExitError is returned, wrapped, when the program exits with a non-zero
// status or is killed by a signal it did not get from lienthong.
type ExitError struct {
	// Program is the command's path.
	Program string
	// Code is the exit status, or -1 when a signal ended the program.
	Code int
	// Signal names that signal, if one did.
	Signal string
	// Stderr holds the program's last stderr lines, cut and with the
	// secret hidden.
	Stderr []string
}

func (e *ExitError) Error() string {
	var b strings.Builder
	if e.Signal != "" {
		fmt.Fprintf(&b, "program %s was killed by signal %s", e.Program, e.Signal)
	} else {
		fmt.Fprintf(&b, "program %s exited with code %d", e.Program, e.Code)
	}
	if len(e.Stderr) == 0 {
		b.WriteString(" and wrote nothing to stderr")
		return b.String()
	}
	b.WriteString("; its last stderr lines:")
	for _, l := range e.Stderr {
		b.WriteString("\n  ")
		b.WriteString(l)
	}
	return b.String()
}

// run is what one start of the program is for.
type run struct {
	stream string
	mode   connectors.Mode
	// state is the checkpoint handed to the program with --state.
	state connectors.Checkpoint
	// discover asks for the catalog (--discover) instead of a sync.
	discover bool
}

// process is one running program: its stdout pipe, its stderr log and the
// temporary files it was given.
type process struct {
	src    *Source
	cmd    *osexec.Cmd
	stdout *os.File
	stderr *stderrLog
	tmp    string
	cancel context.CancelFunc
	stop   func() bool
}

// start runs the program under ctx bounded by the source's timeout. The
// returned context is the process's: it ends on timeout, on the caller's
// cancellation, or when the process is stopped, and then the program and
// every process in its group are killed.
func (s *Source) start(ctx context.Context, r run) (*process, context.Context, error) {
	o := s.opts
	args := append([]string(nil), o.Args...)
	tmp, files, err := s.writeFiles(r)
	if err != nil {
		return nil, nil, err
	}
	if f := files["config"]; f != "" {
		args = append(args, "--config", f)
	}
	if r.discover {
		args = append(args, "--discover")
	} else {
		if f := files["state"]; f != "" {
			args = append(args, "--state", f)
		}
		if o.Catalog != "" {
			args = append(args, "--catalog", o.Catalog)
		}
	}
	pctx, cancel := context.WithTimeoutCause(ctx, s.timeout, errTimeout)
	cmd := osexec.CommandContext(pctx, o.Command, args...)
	cmd.Dir = o.WorkDir
	cmd.Env = o.environ(s.secret, r.stream, string(r.mode))
	setProcessGroup(cmd)
	cmd.Cancel = func() error { return killGroup(cmd.Process) }
	cmd.WaitDelay = waitDelay
	p := &process{src: s, cmd: cmd, tmp: tmp, cancel: cancel,
		stderr: newStderrLog(s.log.With("stream", r.stream), s.scrubText, s.secrets)}
	cmd.Stderr = p.stderr
	// The pipe is ours, not exec's: its read end must stay open until the
	// reader is done with it, which exec.Cmd.Wait would not allow.
	pr, pw, err := os.Pipe()
	if err != nil {
		cancel()
		p.cleanup()
		return nil, nil, fmt.Errorf("create stdout pipe: %w", err)
	}
	cmd.Stdout = pw
	err = cmd.Start()
	pw.Close()
	if err != nil {
		cancel()
		pr.Close()
		p.cleanup()
		return nil, nil, fmt.Errorf("start program %s: %w (check options command and work_dir)", o.Command, err)
	}
	p.stdout = pr
	// A child that left the process group (setsid) could hold stdout
	// open after the kill; closing our end unblocks the reader then.
	p.stop = context.AfterFunc(pctx, func() {
		time.AfterFunc(waitDelay, func() { pr.Close() })
	})
	s.log.Debug("program started", "stream", r.stream, "pid", cmd.Process.Pid, "program", o.Command)
	return p, pctx, nil
}

// writeFiles writes the --config and --state files into a new private
// directory.
func (s *Source) writeFiles(r run) (dir string, files map[string]string, err error) {
	config, err := s.opts.configFile(s.secret)
	if err != nil {
		return "", nil, fmt.Errorf("option config: %w", err)
	}
	contents := map[string][]byte{}
	if config != nil {
		contents["config"] = config
	}
	if !r.discover && len(r.state) > 0 && string(r.state) != "null" {
		contents["state"] = r.state
	}
	if len(contents) == 0 {
		return "", nil, nil
	}
	// MkdirTemp makes the directory 0700; the files are 0600 as well, for
	// the config holds the secret.
	dir, err = os.MkdirTemp("", "lienthong-exec-")
	if err != nil {
		return "", nil, fmt.Errorf("create temporary directory for the program's files: %w", err)
	}
	files = map[string]string{}
	for name, data := range contents {
		path := filepath.Join(dir, name+".json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			os.RemoveAll(dir)
			return "", nil, fmt.Errorf("write the program's %s file: %w", name, err)
		}
		files[name] = path
	}
	return dir, files, nil
}

// kill stops the program and its process group now.
func (p *process) kill() { p.cancel() }

// wait reaps the program once its stdout is done with and says how it
// ended: nil, a timeout, the caller's cancellation, or an *ExitError. On
// Linux it first kills whatever the program left running in its group. It
// removes the program's files.
func (p *process) wait(ctx context.Context) error {
	defer p.cancel()
	if waitExited(p.cmd.Process.Pid) {
		// The program is a zombie now: its group id is still its own, and
		// whatever it left running there is killed.
		killGroup(p.cmd.Process)
	}
	err := p.cmd.Wait()
	p.stderr.flush()
	p.stop()
	p.stdout.Close()
	p.cleanup()
	if cause := context.Cause(ctx); cause != nil {
		if errors.Is(cause, errTimeout) {
			return fmt.Errorf("program %s did not finish within %s and was killed with its child processes; "+
				"raise the source's timeout if it needs longer: %w", p.cmd.Path, p.src.timeout, context.DeadlineExceeded)
		}
		return fmt.Errorf("program %s stopped: %w", p.cmd.Path, cause)
	}
	var exit *osexec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, osexec.ErrWaitDelay):
		// It exited well, but a child kept stderr open; the child is
		// killed with the group above.
		p.src.log.Warn("the program exited but a child process kept its stderr open; killed it", "program", p.cmd.Path)
		return nil
	case errors.As(err, &exit):
		e := &ExitError{Program: p.cmd.Path, Code: exit.ExitCode(), Stderr: p.stderr.last()}
		if e.Code < 0 {
			e.Signal = signalOf(exit.ProcessState)
		}
		return e
	}
	return fmt.Errorf("wait for program %s: %w", p.cmd.Path, err)
}

func (p *process) cleanup() {
	if p.tmp != "" {
		if err := os.RemoveAll(p.tmp); err != nil {
			p.src.log.Warn("could not remove the program's temporary files, which may hold the secret: remove them by hand",
				"dir", p.tmp, "error", err)
		}
		p.tmp = ""
	}
}
