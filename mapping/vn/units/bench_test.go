package units

import (
	"testing"

	"golang.org/x/text/unicode/norm"
)

// lookups are the per-record calls, as mappings and validation make them.
var lookups = []struct {
	name string
	run  func(r *Registry) (Unit, error)
}{
	{"Province/code", func(r *Registry) (Unit, error) { return r.Province("042", in2020) }},
	{"Province/name", func(r *Registry) (Unit, error) { return r.Province("Hà Tĩnh", in2026) }},
	{"Province/prefix", func(r *Registry) (Unit, error) { return r.Province("TP. Hồ Chí Minh", in2020) }},
	{"Province/no-diacritics", func(r *Registry) (Unit, error) { return r.Province("ha tinh", in2020) }},
	{"Commune/code", func(r *Registry) (Unit, error) { return r.Commune("18586", "42", in2020) }},
	{"Commune/name", func(r *Registry) (Unit, error) { return r.Commune("Xã Thạch Kênh", "42", in2020) }},
	{"Commune/messy", func(r *Registry) (Unit, error) {
		return r.Commune("  XÃ  thạch   KÊNH ", "Tỉnh Hà Tĩnh", in2020)
	}},
	{"Commune/tone-placement", func(r *Registry) (Unit, error) { return r.Commune("Phường Yên Hòa", "Hà Nội", in2026) }},
	{"Commune/no-province", func(r *Registry) (Unit, error) { return r.Commune("Thạch Kênh", "", in2020) }},
	{"Commune/district", func(r *Registry) (Unit, error) { return r.CommuneIn("Trần Phú", "Hoàng Mai", "Hà Nội", in2020) }},
	{"Commune/no-diacritics", func(r *Registry) (Unit, error) { return r.Commune("Thach Kenh", "42", in2020) }},
	{"Current/province", func(r *Registry) (Unit, error) { return r.Current("Quảng Bình", "", in2020) }},
	{"Current/commune", func(r *Registry) (Unit, error) { return r.Current("TT. Nghèn", "Hà Tĩnh", in2020) }},
}

// TestLookupsDoNotAllocate holds the per-record promise of the package doc.
// NFD input is left out: normalising it allocates, and it is rare.
func TestLookupsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	r := registry(t)
	for _, l := range lookups {
		t.Run(l.name, func(t *testing.T) {
			if _, err := l.run(r); err != nil {
				t.Fatal(err)
			}
			if n := testing.AllocsPerRun(100, func() { _, _ = l.run(r) }); n != 0 {
				t.Fatalf("%v allocations per lookup, want 0", n)
			}
		})
	}
}

func BenchmarkLookup(b *testing.B) {
	r := registry(b)
	for _, l := range lookups {
		b.Run(l.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := l.run(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("Commune/NFD", func(b *testing.B) {
		name, prov := norm.NFD.String("Xã Thạch Kênh"), norm.NFD.String("Hà Tĩnh")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Commune(name, prov, in2020); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Commune/ambiguous", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Commune("Trần Phú", "Hà Nội", in2020); err == nil {
				b.Fatal("want an ambiguous error")
			}
		}
	})
	b.Run("Commune/unknown", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Commune("Thạch Kênhh", "42", in2020); err == nil {
				b.Fatal("want an unknown error")
			}
		}
	})
}

func BenchmarkLoad(b *testing.B) {
	f := realFiles()
	registry(b) // fail early and clearly if the lists are missing
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(f); err != nil {
			b.Fatal(err)
		}
	}
}
