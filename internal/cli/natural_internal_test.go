package cli

import (
	"slices"
	"strings"
	"testing"
)

func TestNaturalCompare(t *testing.T) {
	keys := []string{"10", "2", "KS-10/2024", "KS-9/2024", "007", "7", "a", "", "B2", "A10", "A2", "9/2025", "10/2024", "1e3"}
	slices.SortFunc(keys, naturalCompare)
	want := "|1e3|2|007|7|9/2025|10|10/2024|A2|A10|B2|KS-9/2024|KS-10/2024|a"
	if got := strings.Join(keys, "|"); got != want {
		t.Fatalf("natural order\n%s\nwant\n%s", got, want)
	}
}
