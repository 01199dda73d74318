package cli

import (
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	p := &progress{name: "tu-phap/ho-tich/khai-sinh", start: start}
	p.set(12000)
	if got, want := p.line(start.Add(4*time.Second)), "tu-phap/ho-tich/khai-sinh: 12000 read, 3000/s, 4s elapsed"; got != want {
		t.Errorf("without a total:\n%s\nwant\n%s", got, want)
	}
	p.total.Store(60000)
	if got, want := p.line(start.Add(4*time.Second)), "tu-phap/ho-tich/khai-sinh: 12000 of about 60000 read (20%), 3000/s, 4s elapsed, about 16s left"; got != want {
		t.Errorf("with a total:\n%s\nwant\n%s", got, want)
	}
	// An estimate below the count read caps at 100% and has no time left.
	p.set(70000)
	if got, want := p.line(start.Add(10*time.Second)), "tu-phap/ho-tich/khai-sinh: 70000 of about 60000 read (100%), 7000/s, 10s elapsed"; got != want {
		t.Errorf("past the estimate:\n%s\nwant\n%s", got, want)
	}
}
