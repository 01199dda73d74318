package exec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// ErrInvalidOptions is returned, wrapped, when a source's options can not
// run a program: an unknown or mistyped option, a missing command, an
// environment variable name that is not one.
var ErrInvalidOptions = errors.New("exec: invalid options")

// DefaultMaxLineBytes bounds one line of the program's stdout when
// max_line_bytes is not set.
const DefaultMaxLineBytes = 16 << 20

// DefaultSecretEnv is the variable that receives the source's secret when
// the options name neither secret_env nor config_secret_key.
const DefaultSecretEnv = "LIENTHONG_SECRET"

// Variables lienthong sets for the program; options may not set them.
const (
	envStream = "LIENTHONG_STREAM"
	envMode   = "LIENTHONG_MODE"
)

// passEnv are the variables of lienthong's own environment a program gets
// without asking: enough to find interpreters, a home and a locale. The rest
// of lienthong's environment may hold other sources' secrets (dsn_env).
var passEnv = []string{"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SYSTEMROOT"}

// options are a source's settings, as written under options: in the
// configuration. The package doc describes each.
type options struct {
	Command         string            `json:"command"`
	Args            []string          `json:"args"`
	WorkDir         string            `json:"work_dir"`
	RawEnv          map[string]any    `json:"env"`
	Env             map[string]string `json:"-"`
	InheritEnv      []string          `json:"inherit_env"`
	SecretEnv       string            `json:"secret_env"`
	Config          map[string]any    `json:"config"`
	ConfigSecretKey string            `json:"config_secret_key"`
	Catalog         string            `json:"catalog"`
	Discover        bool              `json:"discover"`
	MaxLineBytes    int64             `json:"max_line_bytes"`
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// decodeOptions decodes options strictly: an unknown key or a value of the
// wrong type is an error naming the key. Relative paths are resolved
// against dir, the configuration file's directory. It does not touch the
// file system.
func decodeOptions(raw map[string]any, dir string) (*options, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidOptions, fmt.Sprintf(format, args...))
	}
	// Options come from YAML as maps, slices and scalars; a JSON round trip
	// gives strict decoding with the field named in every error.
	js, err := json.Marshal(raw)
	if err != nil {
		return nil, bad("options can not be read: %v", err)
	}
	var o options
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return nil, bad("option %q: want %s, got a %s", te.Field, goTypeName(te.Type.Kind().String()), te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return nil, bad("unknown option %s; the exec connector takes command, args, work_dir, env, inherit_env, "+
				"secret_env, config, config_secret_key, catalog, discover and max_line_bytes",
				strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return nil, bad("%v", err)
	}
	if strings.TrimSpace(o.Command) == "" {
		return nil, bad(`missing option "command": the path of the program to run`)
	}
	o.Command = resolveCommand(dir, o.Command)
	if o.WorkDir == "" {
		o.WorkDir = "."
	}
	o.WorkDir = resolve(dir, o.WorkDir)
	o.Catalog = resolve(dir, o.Catalog)
	if o.MaxLineBytes < 0 {
		return nil, bad(`option "max_line_bytes" must be greater than 0`)
	}
	if o.MaxLineBytes == 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	o.Env = make(map[string]string, len(o.RawEnv))
	for name, v := range o.RawEnv {
		if err := checkEnvName("env", name); err != nil {
			return nil, bad("%v", err)
		}
		text, ok := v.(string)
		if !ok {
			return nil, bad("option env.%s: want text, got %v (quote the value)", name, v)
		}
		o.Env[name] = text
	}
	for _, name := range o.InheritEnv {
		if err := checkEnvName("inherit_env", name); err != nil {
			return nil, bad("%v", err)
		}
	}
	if o.SecretEnv == "" && o.ConfigSecretKey == "" {
		o.SecretEnv = DefaultSecretEnv
	}
	if o.SecretEnv != "" {
		if err := checkEnvName("secret_env", o.SecretEnv); err != nil {
			return nil, bad("%v", err)
		}
		if _, ok := o.Env[o.SecretEnv]; ok {
			return nil, bad("option env sets %s, which secret_env reserves for the source's secret", o.SecretEnv)
		}
	}
	if _, ok := o.Config[o.ConfigSecretKey]; ok && o.ConfigSecretKey != "" {
		return nil, bad("option config sets %q, which config_secret_key reserves for the source's secret", o.ConfigSecretKey)
	}
	return &o, nil
}

func checkEnvName(option, name string) error {
	if !envName.MatchString(name) {
		return fmt.Errorf("option %s: %q is not an environment variable name (letters, digits, _)", option, name)
	}
	if name == envStream || name == envMode {
		return fmt.Errorf("option %s: %s is set by lienthong", option, name)
	}
	return nil
}

// goTypeName says in configuration words what a Go kind holds.
func goTypeName(kind string) string {
	switch kind {
	case "string":
		return "text"
	case "slice":
		return "a list"
	case "map", "struct":
		return "a mapping"
	case "bool":
		return "true or false"
	}
	return "a number"
}

// resolveCommand resolves a command with a path separator against dir; a
// bare name ("python3", "tap-postgres") is looked up in PATH when the
// program starts, as a shell would.
func resolveCommand(dir, cmd string) string {
	if !strings.ContainsRune(cmd, '/') && !strings.ContainsRune(cmd, filepath.Separator) {
		return cmd
	}
	return resolve(dir, cmd)
}

// resolve makes a path absolute, relative to dir (the working directory
// when dir is empty): os/exec would resolve a relative command against the
// program's working directory instead.
func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	p = filepath.Join(dir, p)
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// environ is the program's environment: the few variables of passEnv and
// inherit_env that are set, then env, then lienthong's own.
func (o *options) environ(secret, stream, mode string) []string {
	var env []string
	seen := map[string]bool{}
	for _, name := range slices.Concat(passEnv, o.InheritEnv) {
		if v, ok := os.LookupEnv(name); ok && !seen[name] {
			env = append(env, name+"="+v)
			seen[name] = true
		}
	}
	for name, v := range o.Env {
		env = append(env, name+"="+v)
	}
	if o.SecretEnv != "" {
		env = append(env, o.SecretEnv+"="+secret)
	}
	// Later entries win in os/exec, so these override anything inherited.
	if stream != "" {
		env = append(env, envStream+"="+stream)
	}
	if mode != "" {
		env = append(env, envMode+"="+mode)
	}
	return env
}

// configFile is the content of the --config file, nil when the program
// takes none.
func (o *options) configFile(secret string) ([]byte, error) {
	if o.Config == nil && o.ConfigSecretKey == "" {
		return nil, nil
	}
	cfg := make(map[string]any, len(o.Config)+1)
	for k, v := range o.Config {
		cfg[k] = v
	}
	if o.ConfigSecretKey != "" {
		cfg[o.ConfigSecretKey] = secret
	}
	return json.MarshalIndent(cfg, "", "  ")
}
