package schema

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// The rules a careful clerk applies beyond the order of dates: nothing
// happened after today, nobody lives past the oldest age ever recorded,
// nobody marries below the legal age, a card agrees with itself, and an
// allowance's category fits its beneficiary's age.

// vietnam is Indochina Time (UTC+7, no daylight saving since 1975): the
// calendar a record's dates are written in, and so the one "today" is in.
var vietnam = time.FixedZone("ICT", 7*60*60)

// dayText caches the text of one calendar day, so that Validate does not
// format the date, and allocate, for every record.
type dayText struct {
	day  int64
	text string
}

var lastDay atomic.Pointer[dayText]

// today returns the calendar day of now in Vietnam, YYYY-MM-DD.
func today(now time.Time) string {
	sec := now.Unix() + 7*60*60
	day := sec / 86400
	if sec < 0 && sec%86400 != 0 {
		day--
	}
	if c := lastDay.Load(); c != nil && c.day == day {
		return c.text
	}
	t := now.In(vietnam).Format(time.DateOnly)
	lastDay.Store(&dayText{day, t})
	return t
}

// maxAge is the oldest age at death a record may give: 122, the longest
// human life verified (Jeanne Calment, 1875-1997). An older one is a
// mistyped year of birth or death.
const maxAge = 122

// marriageLawFrom is the day the Law on Marriage and Family 2014 took
// effect. Its article 8 asks a man to be fully 20 ("từ đủ 20 tuổi") and a
// woman fully 18; the laws of 1986 and 2000 said "from 20" and "from 18",
// which Resolution 02/2000/NQ-HĐTP of the Supreme People's Court read as
// having entered the 20th or 18th year of life, i.e. fully 19 or 17.
const marriageLawFrom = "2015-01-01"

// ageRange returns the fewest and the most whole years a person born on
// dob (YYYY-MM-DD, YYYY-MM or YYYY) may have on the full date at: a
// partial date of birth may be any day of its month or year. A 29
// February birthday falls on 28 February in common years, the last day of
// the month, as the Civil Code 2015 (art. 148) ends periods in a month
// without the corresponding day. ok is false when at is not a full date
// or may be before the birth.
func ageRange(dob, at string) (least, most int, ok bool) {
	if len(at) != 10 || len(dob) < 4 {
		return 0, 0, false
	}
	y, m, d := atoi(at[0:4]), atoi(at[5:7]), atoi(at[8:10])
	by := atoi(dob[0:4])
	firstM, lastM, firstD, lastD := 1, 12, 1, 31
	if len(dob) >= 7 {
		firstM = atoi(dob[5:7])
		lastM = firstM
		lastD = daysIn(lastM, by)
	}
	if len(dob) == 10 {
		firstD = atoi(dob[8:10])
		lastD = firstD
	}
	if compareDates(at, dob) < 0 {
		return 0, 0, false
	}
	most = age(by, firstM, firstD, y, m, d)
	least = age(by, lastM, lastD, y, m, d)
	if least < 0 {
		least = 0
	}
	return least, most, true
}

// age is the whole years from the birth (by, bm, bd) to the day (y, m, d).
func age(by, bm, bd, y, m, d int) int {
	if bm == 2 && bd == 29 && daysIn(2, y) == 28 {
		bd = 28
	}
	n := y - by
	if m < bm || m == bm && d < bd {
		n--
	}
	return n
}

// categoryAges are the ages (whole years at the decision) the categories
// of social_assistance_beneficiary allow, by the clause of article 5 of
// Decree 20/2021/NĐ-CP that defines them; -1 is no bound. The clauses
// without an age (4, single parents; 6, people with disabilities, children
// included) are not listed.
var categoryAges = map[string]struct {
	min, max int
	basis    string
}{
	// Clause 1: "trẻ em dưới 16 tuổi không có nguồn nuôi dưỡng".
	"orphan_child": {-1, 15, "clause 1: a child under 16"},
	// Clause 2: "người từ 16 tuổi đến 22 tuổi" still at school.
	"orphan_student": {16, 22, "clause 2: a person from 16 to 22"},
	// Clause 3: a child (under 16, Law on Children 2016, art. 1) with HIV.
	"child_with_hiv": {-1, 15, "clause 3: a child, under 16"},
	// Clause 5: the elderly, from 60 (Law on the Elderly 2009, art. 2).
	"elderly": {60, -1, "clause 5: an elderly person, 60 or older"},
	// Clause 7: "trẻ em dưới 3 tuổi" in a poor or near-poor household.
	"young_child_poor_area": {-1, 2, "clause 7: a child under 3"},
	// Clause 8: a person with HIV; a child is under clause 3.
	"adult_with_hiv": {16, -1, "clause 8: a person with HIV, 16 or older (a child is under clause 3)"},
}

// checkClerk runs the rules of this file; see rule.check.
func (r *rule) checkClerk(k *Kind, vals *values, vs []Violation) []Violation {
	switch r.op {
	case opNotFuture:
		v := vals.valid[r.ia]
		if v == "" || vals.today == "" || compareDates(v, vals.today) <= 0 {
			return vs
		}
		f := &k.Fields[r.ia]
		return append(vs, Violation{f.Name, ReasonFutureDate, fmt.Sprintf("%s (%s) %s is after today, %s", f.Name, f.Label, v, vals.today)})
	case opMaxAge:
		least, _, ok := ageRange(vals.valid[r.ia], vals.valid[r.ib])
		if !ok || least <= maxAge {
			return vs
		}
		f, at := &k.Fields[r.ia], &k.Fields[r.ib]
		return append(vs, Violation{f.Name, ReasonImplausibleAge, fmt.Sprintf("%s (%s) %s makes the person at least %d years old on %s (%s) %s; no one has lived past %d: check both years",
			f.Name, f.Label, vals.valid[r.ia], least, at.Name, at.Label, vals.valid[r.ib], maxAge)})
	case opMarriageAge:
		at := vals.valid[r.ib]
		_, most, ok := ageRange(vals.valid[r.ia], at)
		if !ok {
			return vs
		}
		need := r.years
		if at < marriageLawFrom {
			need--
		}
		if most >= need {
			return vs
		}
		person := map[string]string{"M": "man", "F": "woman"}[r.sex]
		law := fmt.Sprintf("the Law on Marriage and Family 2014 (art. 8) asks a %s to be fully %d", person, r.years)
		if at < marriageLawFrom {
			law = fmt.Sprintf("the law before 2015 asked a %s to be in the year of turning %d (fully %d)", person, r.years, r.years-1)
		}
		f, af := &k.Fields[r.ia], &k.Fields[r.ib]
		return append(vs, Violation{f.Name, ReasonUnderAge, fmt.Sprintf("%s (%s) %s makes the %s %d years old on %s (%s) %s; %s",
			f.Name, f.Label, vals.valid[r.ia], person, most, af.Name, af.Label, at, law)})
	case opCardBenefit:
		card, level := vals.valid[r.ia], vals.valid[r.ib]
		if len(card) != 15 || level == "" || card[2] == level[0] {
			return vs
		}
		cf, bf := &k.Fields[r.ia], &k.Fields[r.ib]
		return append(vs, Violation{bf.Name, ReasonBenefitMismatch, fmt.Sprintf("%s (%s) %s differs from the level %c that %s (%s) %s holds in its third character: check both against the card",
			bf.Name, bf.Label, level, card[2], cf.Name, cf.Label, card)})
	case opCategoryAge:
		cat := vals.valid[r.ia]
		bounds, listed := categoryAges[cat]
		if !listed {
			return vs
		}
		least, most, ok := ageRange(vals.valid[r.ib], vals.valid[r.ic])
		if !ok || (bounds.min < 0 || most >= bounds.min) && (bounds.max < 0 || least <= bounds.max) {
			return vs
		}
		f, df, af := &k.Fields[r.ia], &k.Fields[r.ib], &k.Fields[r.ic]
		years := fmt.Sprint(least)
		if most != least {
			years = fmt.Sprintf("%d to %d", least, most)
		}
		return append(vs, Violation{f.Name, ReasonCategoryAge, fmt.Sprintf("%s (%s) %s is for %s (Decree 20/2021/NĐ-CP, art. 5), but %s (%s) %s makes the beneficiary %s on %s (%s) %s",
			f.Name, f.Label, cat, bounds.basis, df.Name, df.Label, vals.valid[r.ib], years, af.Name, af.Label, vals.valid[r.ic])})
	}
	return vs
}

// categoryAgeList says categoryAges in words, for docs.
func categoryAgeList() string {
	var out []string
	for _, cat := range slices.Sorted(maps.Keys(categoryAges)) {
		out = append(out, fmt.Sprintf("`%s` %s", cat, categoryAges[cat].basis))
	}
	return strings.Join(out, "; ")
}
