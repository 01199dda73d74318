package schema

import (
	"regexp"
	"slices"
	"testing"
	"time"
)

// extraPatterns exercise the fast matcher beyond the schema's own patterns.
var extraPatterns = []string{`^a*b$`, `^[a-c]{2,3}[d-f]?$`, `^x+$`, `^é{2}ô?$`, `^[^0-9]{1,3}[0-9]$`, `^$`, `^\+84[0-9]{9,10}$`,
	`^[0-9]{12}$`, `^[A-Z]{2}[0-9][0-9]{2}x$`, `^[^0-9]{2}$`, `^é[a-z]$`, `^a{0}b$`}

// schemaPatterns returns every pattern the kinds use.
func schemaPatterns() []*pattern {
	var out []*pattern
	var walk func(n *node)
	walk = func(n *node) {
		out = append(out, n.patterns...)
		for _, g := range n.anyOf {
			for _, b := range g {
				walk(b)
			}
		}
	}
	for _, k := range Kinds() {
		for _, n := range k.checks {
			walk(n)
		}
	}
	for _, src := range extraPatterns {
		p, err := compilePattern(src)
		if err != nil {
			panic(err)
		}
		out = append(out, p)
	}
	return out
}

func TestFastPatterns(t *testing.T) {
	// Every schema pattern but the partial date's alternation and the
	// e-mail address's repeated domain labels runs without package regexp.
	slow := []string{`^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})(-(0[1-9]|1[0-2]))?$`, `^[A-Za-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$`}
	for _, p := range schemaPatterns() {
		if p.re != nil && !slices.Contains(slow, p.src) {
			t.Errorf("pattern %s falls back to regexp", p.src)
		}
	}
	// A greedy scan would be wrong here: the fast path must refuse them.
	for _, src := range []string{`^[0-9]{1,3}[0-9]$`, `^a*a$`, `^a?[ab]$`, `^[a-z]*[0-9]?[a-c]$`, `^(?i)abc$`, `abc`, `^a|b$`} {
		if _, ok := fastItems(src); ok {
			t.Errorf("pattern %s must not take the fast path", src)
		}
	}
}

// FuzzPattern proves the fast matcher agrees with package regexp, which the
// reference validator uses, on every pattern.
func FuzzPattern(f *testing.F) {
	for _, s := range []string{"042090001234", "+84912345678", "GD4424212345678", "3001234567-001", "CS123456", "ODT", "ééô", "ab1", "x\xff", "aab", ""} {
		f.Add(s)
	}
	patterns := schemaPatterns()
	regexps := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		regexps[i] = regexp.MustCompile(p.src)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i, p := range patterns {
			if got, want := p.match(s), regexps[i].MatchString(s); got != want {
				t.Fatalf("pattern %s on %q: fast %v, regexp %v", p.src, s, got, want)
			}
		}
	})
}

// FuzzDate proves IsDate accepts what time.Parse(time.DateOnly) accepts,
// the reference validator's "date" format, and the kinds' date pattern
// (datePattern), which refuses the year 0000.
func FuzzDate(f *testing.F) {
	for _, s := range []string{"2024-02-29", "2023-02-29", "1900-02-29", "2000-02-29", "0000-01-01", "0000-02-29", "0001-01-01",
		"0010-12-31", "0100-02-28", "2024-04-31", "2024-1-01", "+024-01-01", "2024-01-01 ", "9999-12-31"} {
		f.Add(s)
	}
	re := regexp.MustCompile(datePattern)
	f.Fuzz(func(t *testing.T, s string) {
		_, err := time.Parse(time.DateOnly, s)
		if got, want := IsDate(s), err == nil && re.MatchString(s); got != want {
			t.Fatalf("IsDate(%q) = %v, time.Parse says %v (%v), the pattern %v", s, got, err == nil, err, re.MatchString(s))
		}
	})
}

// TestYearZero refuses the year 0000 in every date, full or partial: the
// Gregorian calendar has none, and PostgreSQL's date type refuses it.
func TestYearZero(t *testing.T) {
	tests := []struct {
		kind, field, value string
		valid              bool
	}{
		{"birth_registration", "date_of_birth", "0000-01-01", false},
		{"birth_registration", "date_of_birth", "0000-02-29", false},
		{"birth_registration", "date_of_birth", "0001-01-01", true},
		{"death_registration", "date_of_birth", "0000-03-01", false},
		{"death_registration", "date_of_birth", "0000-03", false},
		{"death_registration", "date_of_birth", "0000", false},
		{"death_registration", "date_of_birth", "0001", true},
		{"death_registration", "date_of_birth", "0010-12", true},
		{"death_registration", "date_of_birth", "1945-09", true},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.value, func(t *testing.T) {
			k := mustKind(t, tt.kind)
			ours := k.checks[k.byName[tt.field]].check(tt.value)
			if (ours == pass) != tt.valid {
				t.Errorf("%s %q: compiled validator says %v, want valid %v", tt.field, tt.value, ours, tt.valid)
			}
			data := example(t, k)
			data[tt.field] = tt.value
			agree(t, k, data)
			faulted := false
			for _, v := range k.validate(data, "") {
				faulted = faulted || v.Field == tt.field
			}
			if faulted == tt.valid {
				t.Errorf("%s %q: violations %v, want valid %v", tt.field, tt.value, k.validate(data, ""), tt.valid)
			}
		})
	}
}

func TestCompareDates(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2024-03-01", "2024-03-02", -1}, {"2024-03-02", "2024-03-01", 1}, {"2024-03-01", "2024-03-01", 0},
		{"2024", "2024-12-31", 0}, {"2024-03", "2024-03-15", 0}, {"2023", "2024-01-01", -1}, {"2024-04", "2024-03-31", 1},
	}
	for _, tt := range tests {
		if got := compareDates(tt.a, tt.b); got != tt.want {
			t.Errorf("compareDates(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// mappingPatterns are patterns of the kind a mapping's matches operator
// takes: some the fast matcher runs, some it leaves to package regexp.
var mappingPatterns = []string{
	`^[0-9]+/[0-9]{4}$`, `^[0-9]{1,6}/[0-9]{4}$`, `^TEST`, `^[A-Z]{2}[0-9]*$`, `^\d+$`, `^[0-9]*[0-9]$`,
	`^(Nam|Nữ)$`, `^[a-zà-ỹ ]+$`, `^$`, `^a?b?$`, `[0-9]+`, `^x*y*z$`, `(?i)^test`, `^[^/]+/[0-9]{4}$`, `^.{0,3}$`,
}

// FuzzCompilePattern proves a compiled Pattern matches what package regexp
// matches, on patterns of the fast kind and the others.
func FuzzCompilePattern(f *testing.F) {
	for _, s := range []string{"12/2024", "12-2024", "/2024", "1234567/2024", "TEST-1", "test-1", "AB12", "Nữ", "nguyễn văn", "", "ab", "xxyz", "z", "a\xffb", "é/2024", "0"} {
		f.Add(s)
	}
	fast := make([]*Pattern, len(mappingPatterns))
	regexps := make([]*regexp.Regexp, len(mappingPatterns))
	for i, src := range mappingPatterns {
		var err error
		if fast[i], err = CompilePattern(src); err != nil {
			f.Fatal(err)
		}
		regexps[i] = regexp.MustCompile(src)
	}
	if fast[0].p.re != nil {
		f.Fatalf("%s is not matched by the fast matcher", mappingPatterns[0])
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i, p := range fast {
			if got, want := p.MatchString(s), regexps[i].MatchString(s); got != want {
				t.Fatalf("pattern %s on %q: %v, regexp %v", mappingPatterns[i], s, got, want)
			}
		}
	})
}

func TestCompilePatternError(t *testing.T) {
	if _, err := CompilePattern(`^[0-9`); err == nil {
		t.Error("a pattern regexp refuses: want an error")
	}
}
