package config

import (
	"fmt"
	"net"
	"time"
	_ "time/tzdata" // schedules name zones; a container image may have no zoneinfo

	"github.com/robfig/cron/v3"
)

// Serve configures lienthong serve, the service that runs streams on their
// schedules. Every replica reads the same file; the state store coordinates
// them.
type Serve struct {
	// Listen is the address of the HTTP listener (health, metrics, API).
	Listen string `yaml:"listen"`
	// TimeZone is the zone of the streams' schedules that name none.
	TimeZone string `yaml:"timezone"`
	// MaxConcurrentRuns bounds the runs one replica works at once.
	MaxConcurrentRuns int `yaml:"max_concurrent_runs"`
	// ShutdownGrace is how long a replica told to stop (SIGTERM) lets its
	// runs go on before it cancels them and exits.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
	// Retry is how a failed scheduled run is tried again.
	Retry Retry `yaml:"retry"`
}

// Retry is a retry policy: a failed run is tried again after Backoff,
// doubling up to MaxBackoff, Attempts times in all, and never past its
// slot's end (the stream's next slot, or max_runtime).
type Retry struct {
	Attempts   int           `yaml:"attempts"`
	Backoff    time.Duration `yaml:"backoff"`
	MaxBackoff time.Duration `yaml:"max_backoff"`
}

// Defaults of the serve keys.
const (
	defaultListen            = "127.0.0.1:8080"
	defaultTimeZone          = "Asia/Ho_Chi_Minh"
	defaultMaxConcurrentRuns = 4
	defaultShutdownGrace     = 30 * time.Second
	defaultRetryAttempts     = 3
	defaultRetryBackoff      = 30 * time.Second
	defaultRetryMaxBackoff   = 10 * time.Minute
	// defaultRunTimeout bounds a scheduled run that states no timeout: a
	// hung source must not hold its stream for ever.
	defaultRunTimeout = 6 * time.Hour
)

// cronParser reads schedules with an optional leading seconds field, so
// both the classic five fields and six-field schedules work.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule reads a cron schedule in a time zone (an IANA name such as
// Asia/Ho_Chi_Minh).
func ParseSchedule(spec, zone string) (cron.Schedule, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: use an IANA name such as Asia/Ho_Chi_Minh", zone)
	}
	sched, err := cronParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("invalid schedule %q: %v; write cron fields such as \"*/15 * * * *\" (seconds first if six fields) or \"@every 10m\"", spec, err)
	}
	if s, ok := sched.(*cron.SpecSchedule); ok {
		s.Location = loc
	}
	return sched, nil
}

// ScheduleFor returns a stream's parsed schedule, or nil when it has none.
func (c *Config) ScheduleFor(s *Stream) (cron.Schedule, error) {
	if s.Schedule == "" {
		return nil, nil
	}
	return ParseSchedule(s.Schedule, c.zoneFor(s))
}

func (c *Config) zoneFor(s *Stream) string {
	if s.TimeZone != "" {
		return s.TimeZone
	}
	return c.Serve.TimeZone
}

// RunTimeout is how long one scheduled run of a stream may take.
func (c *Config) RunTimeout(s *Stream) time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return defaultRunTimeout
}

func (d *document) setServeDefaults(c *Config) {
	s := &c.Serve
	if s.Listen == "" {
		s.Listen = defaultListen
	}
	if s.TimeZone == "" {
		s.TimeZone = defaultTimeZone
	}
	if !d.has("serve.max_concurrent_runs") {
		s.MaxConcurrentRuns = defaultMaxConcurrentRuns
	}
	if !d.has("serve.shutdown_grace") {
		s.ShutdownGrace = defaultShutdownGrace
	}
	if !d.has("serve.retry.attempts") {
		s.Retry.Attempts = defaultRetryAttempts
	}
	if !d.has("serve.retry.backoff") {
		s.Retry.Backoff = defaultRetryBackoff
	}
	if !d.has("serve.retry.max_backoff") {
		s.Retry.MaxBackoff = max(defaultRetryMaxBackoff, s.Retry.Backoff)
	}
}

func (d *document) validateServe(c *Config) {
	s := c.Serve
	if _, _, err := net.SplitHostPort(s.Listen); err != nil {
		d.addAt("serve.listen", fmt.Sprintf("invalid address %q: write host:port, such as 127.0.0.1:8080 or :8080", s.Listen))
	}
	if _, err := time.LoadLocation(s.TimeZone); err != nil {
		d.addAt("serve.timezone", fmt.Sprintf("unknown time zone %q: use an IANA name such as Asia/Ho_Chi_Minh", s.TimeZone))
	}
	if s.MaxConcurrentRuns <= 0 {
		d.addAt("serve.max_concurrent_runs", "must be greater than 0")
	}
	if s.ShutdownGrace < 0 {
		d.addAt("serve.shutdown_grace", "must not be negative")
	}
	if s.Retry.Attempts <= 0 {
		d.addAt("serve.retry.attempts", "must be greater than 0 (1: no retry)")
	}
	if s.Retry.Backoff <= 0 {
		d.addAt("serve.retry.backoff", "must be greater than 0")
	}
	if s.Retry.MaxBackoff < s.Retry.Backoff {
		d.addAt("serve.retry.max_backoff", fmt.Sprintf("must be at least retry.backoff (%s)", s.Retry.Backoff))
	}
	for i := range c.Departments {
		for j := range c.Departments[i].Sources {
			src := &c.Departments[i].Sources[j]
			for k := range src.Streams {
				d.validateStreamSchedule(c, &src.Streams[k], index(index(index("departments", i)+".sources", j)+".streams", k))
			}
		}
	}
}

func (d *document) validateStreamSchedule(c *Config, s *Stream, path string) {
	if s.TimeZone != "" {
		if _, err := time.LoadLocation(s.TimeZone); err != nil {
			d.addAt(join(path, "timezone"), fmt.Sprintf("unknown time zone %q: use an IANA name such as Asia/Ho_Chi_Minh", s.TimeZone))
			return
		}
	}
	if d.has(join(path, "schedule")) && s.Schedule == "" {
		d.addAt(join(path, "schedule"), "must not be empty: give a cron schedule or remove the key")
	}
	if s.Schedule != "" {
		if _, err := cronParser.Parse(s.Schedule); err != nil {
			d.addAt(join(path, "schedule"), fmt.Sprintf("invalid schedule %q: %v; write cron fields such as \"*/15 * * * *\" (seconds first if six fields) or \"@every 10m\"", s.Schedule, err))
		}
	}
	if d.has(join(path, "timeout")) && s.Timeout <= 0 {
		d.addAt(join(path, "timeout"), "must be greater than 0")
	}
	if d.has(join(path, "max_runtime")) && s.MaxRuntime <= 0 {
		d.addAt(join(path, "max_runtime"), "must be greater than 0")
	}
	if s.Schedule == "" {
		for _, key := range []string{"timezone", "timeout", "max_runtime"} {
			if d.has(join(path, key)) {
				d.addAt(join(path, key), fmt.Sprintf("%s applies to scheduled runs: set \"schedule\" or remove %s", key, key))
			}
		}
	}
}
