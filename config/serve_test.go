package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/config"
)

// scheduled is valid with a schedule on its stream.
var scheduled = valid + "            schedule: \"*/15 * * * *\"\n"

func TestServeDefaults(t *testing.T) {
	c, err := config.Parse("lienthong.yaml", []byte(scheduled), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Serve
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen", s.Listen, "127.0.0.1:8080"},
		{"timezone", s.TimeZone, "Asia/Ho_Chi_Minh"},
		{"max_concurrent_runs", s.MaxConcurrentRuns, 4},
		{"shutdown_grace", s.ShutdownGrace, 30 * time.Second},
		{"retry", s.Retry, config.Retry{Attempts: 3, Backoff: 30 * time.Second, MaxBackoff: 10 * time.Minute}},
		{"run timeout", c.RunTimeout(&c.Departments[0].Sources[0].Streams[0]), 6 * time.Hour},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

// TestScheduleTimeZone: a schedule is read in its zone, by default
// Asia/Ho_Chi_Minh (UTC+7): "0 2 * * *" is 02:00 there, 19:00 UTC the day
// before.
func TestScheduleTimeZone(t *testing.T) {
	yaml := strings.Replace(valid, "mapping: mappings/khai-sinh.yaml", "mapping: mappings/khai-sinh.yaml\n            schedule: \"0 2 * * *\"", 1) +
		`          - name: other
            table: other
            primary_key: [id]
            mapping: m.yaml
            schedule: "0 2 * * *"
            timezone: UTC
            timeout: 10m
            max_runtime: 30m
`
	c, err := config.Parse("lienthong.yaml", []byte(yaml), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	streams := c.Departments[0].Sources[0].Streams
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		stream int
		want   time.Time
	}{
		{0, time.Date(2026, 3, 1, 19, 0, 0, 0, time.UTC)},
		{1, time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)},
	} {
		sched, err := c.ScheduleFor(&streams[tc.stream])
		if err != nil {
			t.Fatal(err)
		}
		if got := sched.Next(from); !got.Equal(tc.want) {
			t.Errorf("stream %d: next slot after %s is %s, want %s", tc.stream, from, got.UTC(), tc.want)
		}
	}
	if got := c.RunTimeout(&streams[1]); got != 10*time.Minute {
		t.Errorf("timeout: got %s", got)
	}
	if got := streams[1].MaxRuntime; got != 30*time.Minute {
		t.Errorf("max_runtime: got %s", got)
	}
}

func TestScheduleSeconds(t *testing.T) {
	sched, err := config.ParseSchedule("*/3 * * * * *", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 3, 1, 0, 0, 1, 0, time.UTC)
	if got, want := sched.Next(from), from.Add(2*time.Second); !got.Equal(want) {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestServeErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{
			name: "bad schedule",
			yaml: valid + "            schedule: \"every day\"\n",
			want: []string{`lienthong.yaml:13: departments[0].sources[0].streams[0].schedule: invalid schedule "every day"`},
		},
		{
			name: "bad stream zone",
			yaml: scheduled + "            timezone: Asia/Hanoi_City\n",
			want: []string{`lienthong.yaml:14: departments[0].sources[0].streams[0].timezone: unknown time zone "Asia/Hanoi_City"`},
		},
		{
			name: "timeout without schedule",
			yaml: valid + "            timeout: 10m\n",
			want: []string{`lienthong.yaml:13: departments[0].sources[0].streams[0].timeout: timeout applies to scheduled runs`},
		},
		{
			name: "zero timeout",
			yaml: scheduled + "            timeout: 0s\n",
			want: []string{`lienthong.yaml:14: departments[0].sources[0].streams[0].timeout: must be greater than 0`},
		},
		{
			name: "serve keys",
			yaml: "serve:\n  listen: localhost\n  timezone: Mars/Olympus\n  max_concurrent_runs: 0\n  retry:\n    attempts: 0\n    backoff: 1m\n    max_backoff: 10s\n" + scheduled,
			want: []string{
				`lienthong.yaml:2: serve.listen: invalid address "localhost"`,
				`lienthong.yaml:3: serve.timezone: unknown time zone "Mars/Olympus"`,
				`lienthong.yaml:4: serve.max_concurrent_runs: must be greater than 0`,
				`lienthong.yaml:6: serve.retry.attempts: must be greater than 0`,
				`lienthong.yaml:8: serve.retry.max_backoff: must be at least retry.backoff (1m0s)`,
			},
		},
		{
			name: "unknown serve key",
			yaml: "serve:\n  concurrency: 3\n" + scheduled,
			want: []string{`lienthong.yaml:2: serve: unknown key "concurrency"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("lienthong.yaml", []byte(tt.yaml), testEnv)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%s\nlacks\n%s", err, w)
				}
			}
		})
	}
}
