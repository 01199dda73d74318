package exec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	osexec "os/exec"
	"sort"
	"strings"
	"time"

	"github.com/lienthong/lienthong/connectors"
)

func init() {
	connectors.Register("exec", func(ctx context.Context, cfg connectors.Config) (connectors.Source, error) {
		src, err := Open(ctx, cfg)
		if err != nil {
			// Never a non-nil interface holding a nil *Source.
			return nil, err
		}
		return src, nil
	})
}

var (
	_ connectors.Source       = (*Source)(nil)
	_ connectors.Discoverer   = (*Source)(nil)
	_ connectors.ColumnLister = (*Source)(nil)
)

// DefaultTimeout bounds one run of the program when the source's
// configuration sets no timeout.
const DefaultTimeout = time.Hour

// Source runs one program for every read, check or discovery. It holds no
// process between them.
type Source struct {
	name    string
	opts    *options
	secret  string
	timeout time.Duration
	log     *slog.Logger
	// secrets are the forms of the secret that a program might print: kept
	// to scrub them from its stderr and from errors.
	secrets []string
}

// Open decodes a source's options, checks that its command, working
// directory and catalog exist, and returns the source. It starts nothing.
// The secret (cfg.DSN) never appears in its errors.
func Open(ctx context.Context, cfg connectors.Config) (*Source, error) {
	if cfg.Kind != "" && cfg.Kind != "exec" {
		return nil, fmt.Errorf("exec: kind %q is not exec", cfg.Kind)
	}
	o, err := decodeOptions(cfg.Options, cfg.Dir)
	if err != nil {
		return nil, err
	}
	s := &Source{name: cfg.Name, opts: o, secret: cfg.DSN, timeout: cfg.Timeout, log: cfg.Log,
		secrets: secretForms(cfg.DSN)}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.log == nil {
		s.log = slog.Default().With("source", cfg.Name)
	}
	if err := s.findFiles(); err != nil {
		return nil, s.scrub(err)
	}
	return s, nil
}

// findFiles resolves the command and checks the paths the options name, so
// that a typo fails when the source is opened rather than at its first run.
func (s *Source) findFiles() error {
	o := s.opts
	if !strings.ContainsRune(o.Command, os.PathSeparator) && !strings.ContainsRune(o.Command, '/') {
		path, err := osexec.LookPath(o.Command)
		if err != nil {
			return fmt.Errorf("%w: option command: %q is not found in PATH; give its path (relative to the configuration file)",
				ErrInvalidOptions, o.Command)
		}
		o.Command = path
	} else {
		fi, err := os.Stat(o.Command)
		switch {
		case err != nil:
			return fmt.Errorf("%w: option command: %v", ErrInvalidOptions, err)
		case fi.IsDir():
			return fmt.Errorf("%w: option command: %s is a directory", ErrInvalidOptions, o.Command)
		case fi.Mode().Perm()&0o111 == 0:
			return fmt.Errorf("%w: option command: %s is not executable (chmod +x it, or run it through its interpreter: command: python3, args: [%s])",
				ErrInvalidOptions, o.Command, o.Command)
		}
	}
	if fi, err := os.Stat(o.WorkDir); err != nil || !fi.IsDir() {
		return fmt.Errorf("%w: option work_dir: %s is not a directory", ErrInvalidOptions, o.WorkDir)
	}
	if o.Catalog != "" {
		if _, err := os.Stat(o.Catalog); err != nil {
			return fmt.Errorf("%w: option catalog: %v", ErrInvalidOptions, err)
		}
	}
	return nil
}

// Close releases nothing: every run's process and files are gone when its
// reader is closed.
func (s *Source) Close() error { return nil }

// secretForms lists the texts of a secret to hide, longest first: the
// secret and its JSON-escaped form, which a program printing its config
// would show.
func secretForms(secret string) []string {
	if secret == "" {
		return nil
	}
	forms := []string{secret}
	if js, err := json.Marshal(secret); err == nil {
		if esc := string(js[1 : len(js)-1]); esc != secret {
			forms = append(forms, esc)
		}
	}
	sort.Slice(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	return forms
}

// scrubText hides the secret in a text from the program.
func (s *Source) scrubText(t string) string {
	for _, secret := range s.secrets {
		t = strings.ReplaceAll(t, secret, "xxxxx")
	}
	return t
}

// scrub keeps the secret out of an error. When it had to change the text,
// the original is dropped too, so that a caller walking the chain can not
// find it; the sentinels a caller may test for are kept.
func (s *Source) scrub(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := s.scrubText(msg)
	if clean == msg {
		return err
	}
	for _, sentinel := range []error{ErrMalformedOutput, ErrInvalidStream, ErrInvalidOptions, context.DeadlineExceeded, context.Canceled} {
		if errors.Is(err, sentinel) {
			return &scrubbed{msg: clean, sentinel: sentinel}
		}
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		return &scrubbed{msg: clean, sentinel: exit}
	}
	return errors.New(clean)
}

type scrubbed struct {
	msg      string
	sentinel error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.sentinel }
