package cli

import (
	"testing"
	"time"

	"github.com/lienthong/lienthong/config"
)

// TestLongestGap: the staleness allowance of a schedule is its longest
// gap, over a weekend for weekday schedules, and at least one gap however
// rare the schedule.
func TestLongestGap(t *testing.T) {
	// A Wednesday noon in Hà Nội.
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	tests := []struct {
		spec string
		want time.Duration
	}{
		{"*/15 * * * *", 15 * time.Minute},
		{"@every 10m", 10 * time.Minute},
		{"30 2 * * *", 24 * time.Hour},
		{"0 8 * * 1-5", 72 * time.Hour},    // Friday to Monday
		{"0 0 1 * *", 31 * 24 * time.Hour}, // 1 January to 1 February
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			s, err := config.ParseSchedule(tc.spec, "Asia/Ho_Chi_Minh")
			if err != nil {
				t.Fatal(err)
			}
			if got := longestGap(s, now); got != tc.want {
				t.Errorf("longestGap = %s, want %s", got, tc.want)
			}
		})
	}
}
