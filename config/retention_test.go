package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/config"
)

const day = 24 * time.Hour

func TestRetentionDefaults(t *testing.T) {
	c, err := config.Parse("lienthong.yaml", []byte(valid), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Rejects.Retention != 90*day {
		t.Errorf("rejects.retention = %v, want 90 days", c.Rejects.Retention)
	}
	if c.DeletedRecords.Retention != 30*day {
		t.Errorf("deleted_records.retention = %v, want 30 days", c.DeletedRecords.Retention)
	}
}

// TestDurationDays: every duration key accepts a whole number of days, as
// well as Go's units.
func TestDurationDays(t *testing.T) {
	yaml := "rejects:\n  retention: 180d\ndeleted_records:\n  retention: 36h\nbatch:\n  period: 1d\n" +
		strings.Replace(valid, "        streams:", "        timeout: \"0d\"\n        streams:", 1)
	_, err := config.Parse("lienthong.yaml", []byte(yaml), testEnv)
	// A zero timeout is refused by validation, not by the decoder: the
	// "0d" was read as a duration.
	if err == nil || !strings.Contains(err.Error(), "timeout: must be greater than 0") {
		t.Fatalf("err = %v, want the zero timeout refused by validation", err)
	}
	yaml = strings.Replace(yaml, `timeout: "0d"`, "timeout: 2d", 1)
	c, err := config.Parse("lienthong.yaml", []byte(yaml), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range []struct {
		name      string
		got, want time.Duration
	}{
		{"rejects.retention", c.Rejects.Retention, 180 * day},
		{"deleted_records.retention", c.DeletedRecords.Retention, 36 * time.Hour},
		{"batch.period", c.Batch.Period, day},
		{"timeout", c.Departments[0].Sources[0].Timeout, 2 * day},
	} {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestRetentionErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"fractional days", "rejects:\n  retention: 1.5d\n", `lienthong.yaml:2: rejects.retention: invalid duration "1.5d": write a number and a unit, such as "2s", "500ms", "10m" or "90d"`},
		{"negative days", "rejects:\n  retention: -3d\n", `lienthong.yaml:2: rejects.retention: invalid duration "-3d"`},
		{"days overflow", "rejects:\n  retention: 999999999d\n", `lienthong.yaml:2: rejects.retention: invalid duration "999999999d"`},
		{"unit after days", "rejects:\n  retention: 1d12h\n", `lienthong.yaml:2: rejects.retention: invalid duration "1d12h"`},
		{"zero", "deleted_records:\n  retention: 0d\n", `lienthong.yaml:2: deleted_records.retention: must be greater than 0, such as "90d"`},
		{"negative", "deleted_records:\n  retention: -1h\n", `lienthong.yaml:2: deleted_records.retention: must be greater than 0`},
		{"unknown key", "rejects:\n  retain: 90d\n", `lienthong.yaml:2: rejects: unknown key "retain" (known keys: retention)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("lienthong.yaml", []byte(tt.yaml+valid), testEnv)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
