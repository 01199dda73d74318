package schema

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// clerkCodes are the codes the careful clerk's rules report, and the date
// order they stand beside; the tests of this file look at these only, so
// that a changed date of birth is not also reported against the ID number
// that encodes the old one.
var clerkCodes = []string{ReasonDateOrder, ReasonFutureDate, ReasonImplausibleAge, ReasonUnderAge, ReasonBenefitMismatch, ReasonCategoryAge}

// TestClerkRules: each rule at its boundaries, on the kind's example with
// the change; testNow is 2026-06-15 in Vietnam (still the 14th in UTC).
func TestClerkRules(t *testing.T) {
	tests := []struct {
		kind, name string
		change     change
		codes      []string
	}{
		// Dates in the future: today is allowed, tomorrow is not; a
		// partial date is in the future only when all of it is.
		{"person", "born today", change{"date_of_birth": "2026-06-15"}, nil},
		{"person", "born tomorrow", change{"date_of_birth": "2026-06-16"}, []string{ReasonFutureDate}},
		{"person", "born this year", change{"date_of_birth": "2026"}, nil},
		{"person", "born this month", change{"date_of_birth": "2026-06"}, nil},
		{"person", "born next month", change{"date_of_birth": "2026-07"}, []string{ReasonFutureDate}},
		{"person", "born next year", change{"date_of_birth": "2027"}, []string{ReasonFutureDate}},
		{"birth_registration", "registered today", change{"registration_date": "2026-06-15"}, nil},
		{"birth_registration", "registered tomorrow", change{"registration_date": "2026-06-16"}, []string{ReasonFutureDate}},
		{"birth_registration", "born and registered tomorrow", change{"date_of_birth": "2026-06-16", "registration_date": "2026-06-16"}, []string{ReasonFutureDate, ReasonFutureDate}},
		{"marriage_registration", "married tomorrow", change{"registration_date": "2026-06-16"}, []string{ReasonFutureDate}},
		{"death_registration", "died tomorrow", change{"date_of_death": "2026-06-16", "registration_date": "2026-06-16"}, []string{ReasonFutureDate, ReasonFutureDate}},
		{"land_use_certificate", "issued today", change{"issue_date": "2026-06-15"}, nil},
		{"land_use_certificate", "issued tomorrow", change{"issue_date": "2026-06-16"}, []string{ReasonFutureDate}},
		{"social_assistance_beneficiary", "decided tomorrow", change{"decision_date": "2026-06-16"}, []string{ReasonFutureDate}},
		{"business_registration", "registered tomorrow", change{"first_registration_date": "2026-06-16", "latest_change_date": "2026-06-16"}, []string{ReasonFutureDate, ReasonFutureDate}},
		{"health_insurance_card", "card valid from next year", change{"valid_from": "2027-01-01", "valid_to": "2027-12-31"}, nil},

		// Age at death: 122 is the oldest; a partial date of birth is
		// refused only when every day of it is too old.
		{"death_registration", "died at 122", change{"date_of_birth": "1902-12-30"}, nil},
		{"death_registration", "died the day before turning 123", change{"date_of_birth": "1901-12-31"}, nil},
		{"death_registration", "died on turning 123", change{"date_of_birth": "1901-12-30"}, []string{ReasonImplausibleAge}},
		{"death_registration", "born in 1901: perhaps 122", change{"date_of_birth": "1901"}, nil},
		{"death_registration", "born in 1900: 123 at least", change{"date_of_birth": "1900"}, []string{ReasonImplausibleAge}},
		{"death_registration", "died before birth is a date order only", change{"date_of_birth": "2025"}, []string{ReasonDateOrder}},

		// Legal age of marriage, 2014 law: fully 20 and 18.
		{"marriage_registration", "husband 20 that day", change{"husband_date_of_birth": "2000-11-05"}, nil},
		{"marriage_registration", "husband 20 the next day", change{"husband_date_of_birth": "2000-11-06"}, []string{ReasonUnderAge}},
		{"marriage_registration", "wife 18 that day", change{"wife_date_of_birth": "2002-11-05"}, nil},
		{"marriage_registration", "wife 18 the next day", change{"wife_date_of_birth": "2002-11-06"}, []string{ReasonUnderAge}},
		{"marriage_registration", "wife born in 2002: 18 from its first day", change{"wife_date_of_birth": "2002"}, nil},
		{"marriage_registration", "wife born in 2003", change{"wife_date_of_birth": "2003"}, []string{ReasonUnderAge}},
		{"marriage_registration", "wife born 2002-11: 18 from its first day", change{"wife_date_of_birth": "2002-11"}, nil},
		{"marriage_registration", "wife born 2002-12", change{"wife_date_of_birth": "2002-12"}, []string{ReasonUnderAge}},
		{"marriage_registration", "both under age", change{"husband_date_of_birth": "2001", "wife_date_of_birth": "2003"}, []string{ReasonUnderAge, ReasonUnderAge}},
		{"marriage_registration", "2014 law from 2015-01-01: husband 19", change{"registration_date": "2015-01-01", "husband_date_of_birth": "1995-06-01"}, []string{ReasonUnderAge}},
		// Before 2015: in the year of turning 20 and 18 (fully 19, 17).
		{"marriage_registration", "2000 law: husband fully 19", change{"registration_date": "2014-12-31", "husband_date_of_birth": "1995-12-31"}, nil},
		{"marriage_registration", "2000 law: husband 18", change{"registration_date": "2014-12-31", "husband_date_of_birth": "1996-01-01"}, []string{ReasonUnderAge}},
		{"marriage_registration", "2000 law: wife fully 17", change{"registration_date": "2014-12-31", "wife_date_of_birth": "1997-12-31"}, nil},
		{"marriage_registration", "2000 law: wife 16", change{"registration_date": "2014-12-31", "wife_date_of_birth": "1998-01-01"}, []string{ReasonUnderAge}},
		// Born on 29 February: the birthday is 28 February in a common year.
		{"marriage_registration", "wife born 29 February, 18 on 28 February", change{"registration_date": "2022-02-28", "wife_date_of_birth": "2004-02-29"}, nil},
		{"marriage_registration", "wife born 29 February, 17 on 27 February", change{"registration_date": "2022-02-27", "wife_date_of_birth": "2004-02-29"}, []string{ReasonUnderAge}},
		{"marriage_registration", "husband born 29 February, 20 on 29 February", change{"registration_date": "2020-02-29", "husband_date_of_birth": "2000-02-29"}, nil},
		{"marriage_registration", "husband born 29 February, 19 on 28 February of a leap year", change{"registration_date": "2020-02-28", "husband_date_of_birth": "2000-02-29"}, []string{ReasonUnderAge}},

		// Health-insurance cards: valid from birth at the earliest; the
		// benefit level is the card code's third character.
		{"health_insurance_card", "valid from the day of birth", change{"date_of_birth": "2025-01-01"}, nil},
		{"health_insurance_card", "valid from the day before birth", change{"date_of_birth": "2025-01-02"}, []string{ReasonDateOrder}},
		{"health_insurance_card", "valid from the year of birth", change{"date_of_birth": "2025"}, nil},
		{"health_insurance_card", "born after the card's year", change{"date_of_birth": "2026"}, []string{ReasonDateOrder}},
		{"health_insurance_card", "benefit level of the card", change{"card_number": "GD3424212345678", "benefit_level": "3"}, nil},
		{"health_insurance_card", "benefit level not the card's", change{"benefit_level": "3"}, []string{ReasonBenefitMismatch}},
		{"health_insurance_card", "card code of another level", change{"card_number": "GD5424212345678"}, []string{ReasonBenefitMismatch}},
		{"health_insurance_card", "2021 card has no level to compare", change{"card_number": "4212345678", "benefit_level": "3"}, nil},
		{"health_insurance_card", "no benefit level", change{"benefit_level": del}, nil},

		// Social-assistance categories against the age on the decision
		// date (2024-07-15).
		{"social_assistance_beneficiary", "orphan child, 15", change{"category": "orphan_child", "date_of_birth": "2008-07-16"}, nil},
		{"social_assistance_beneficiary", "orphan child, 16", change{"category": "orphan_child", "date_of_birth": "2008-07-15"}, []string{ReasonCategoryAge}},
		{"social_assistance_beneficiary", "orphan child born in 2008: perhaps 15", change{"category": "orphan_child", "date_of_birth": "2008"}, nil},
		{"social_assistance_beneficiary", "orphan child born in 2007: 16 at least", change{"category": "orphan_child", "date_of_birth": "2007"}, []string{ReasonCategoryAge}},
		{"social_assistance_beneficiary", "orphan student, 15", change{"category": "orphan_student", "date_of_birth": "2008-07-16"}, []string{ReasonCategoryAge}},
		{"social_assistance_beneficiary", "orphan student, 16", change{"category": "orphan_student", "date_of_birth": "2008-07-15"}, nil},
		{"social_assistance_beneficiary", "orphan student, 22", change{"category": "orphan_student", "date_of_birth": "2001-07-16"}, nil},
		{"social_assistance_beneficiary", "orphan student, 23", change{"category": "orphan_student", "date_of_birth": "2001-07-15"}, []string{ReasonCategoryAge}},
		{"social_assistance_beneficiary", "child with HIV, 16", change{"category": "child_with_hiv", "date_of_birth": "2008-07-15"}, []string{ReasonCategoryAge}},
		{"social_assistance_beneficiary", "child with HIV, 15", change{"category": "child_with_hiv", "date_of_birth": "2008-07-16"}, nil},
		{"social_assistance_beneficiary", "elderly, 60", change{"date_of_birth": "1964-07-15"}, nil},
		{"social_assistance_beneficiary", "elderly, 59", change{"date_of_birth": "1964-07-16"}, []string{ReasonCategoryAge}},
		{"social_assistance_beneficiary", "elderly born in 1964: perhaps 60", change{"date_of_birth": "1964"}, nil},
		{"social_assistance_beneficiary", "elderly born in 1965", change{"date_of_birth": "1965"}, []string{ReasonCategoryAge}},
		{"social_assistance_beneficiary", "young child, 2", change{"category": "young_child_poor_area", "date_of_birth": "2021-07-16"}, nil},
		{"social_assistance_beneficiary", "young child, 3", change{"category": "young_child_poor_area", "date_of_birth": "2021-07-15"}, []string{ReasonCategoryAge}},
		{"social_assistance_beneficiary", "adult with HIV, 16", change{"category": "adult_with_hiv", "date_of_birth": "2008-07-15"}, nil},
		{"social_assistance_beneficiary", "adult with HIV, 15", change{"category": "adult_with_hiv", "date_of_birth": "2008-07-16"}, []string{ReasonCategoryAge}},
		{"social_assistance_beneficiary", "disabled, any age", change{"category": "disabled", "date_of_birth": "2024-01-01"}, nil},
		{"social_assistance_beneficiary", "single parent, any age", change{"category": "single_parent_poor", "date_of_birth": "1945"}, nil},
		{"social_assistance_beneficiary", "decided before birth is a date order only", change{"category": "elderly", "date_of_birth": "2024-07-16"}, []string{ReasonDateOrder}},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.name, func(t *testing.T) {
			k := mustKind(t, tt.kind)
			rec := example(t, k)
			for name, v := range tt.change {
				if v == del {
					delete(rec, name)
				} else {
					rec[name] = v
				}
			}
			vs := k.ValidateAt(rec, testNow)
			var codes []string
			for _, v := range vs {
				if slices.Contains(clerkCodes, v.Code) {
					codes = append(codes, v.Code)
					checkMessage(t, k, v)
				}
			}
			if !slices.Equal(codes, tt.codes) {
				t.Fatalf("codes = %v, want %v\n%v", codes, tt.codes, vs)
			}
		})
	}
}

// TestValidateAtTakesTheDayInVietnam: the same record is valid or in the
// future by the day the caller gives, counted in Vietnam (UTC+7).
func TestValidateAtTakesTheDayInVietnam(t *testing.T) {
	k := mustKind(t, "land_use_certificate")
	rec := example(t, k)
	rec["issue_date"] = "2026-06-15"
	for _, tt := range []struct {
		now    time.Time
		future bool
	}{
		{time.Date(2026, 6, 14, 16, 59, 59, 0, time.UTC), true}, // 23:59:59 on the 14th in Vietnam
		{time.Date(2026, 6, 14, 17, 0, 0, 0, time.UTC), false},  // midnight of the 15th in Vietnam
		{time.Date(2026, 6, 15, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600)), false},
		{time.Date(2026, 6, 16, 0, 0, 0, 0, time.UTC), false},
	} {
		vs := k.ValidateAt(rec, tt.now)
		got := slices.ContainsFunc(vs, func(v Violation) bool { return v.Code == ReasonFutureDate })
		if got != tt.future {
			t.Errorf("at %v: date_in_future = %v, want %v (%v)", tt.now, got, tt.future, vs)
		}
		if got && !strings.Contains(vs[0].Message, "after today, 2026-06-14") {
			t.Errorf("message %q does not give today's date", vs[0].Message)
		}
	}
}

func TestAgeRange(t *testing.T) {
	tests := []struct {
		dob, at     string
		least, most int
		ok          bool
	}{
		{"2000-03-05", "2020-03-05", 20, 20, true},
		{"2000-03-05", "2020-03-04", 19, 19, true},
		{"2000", "2020-03-04", 19, 20, true},
		{"2000-03", "2020-03-04", 19, 20, true},
		{"2000-03", "2020-04-01", 20, 20, true},
		{"2000-02-29", "2021-02-28", 21, 21, true},
		{"2000-02-29", "2021-02-27", 20, 20, true},
		{"2020", "2020-01-01", 0, 0, true},
		{"2020-01-02", "2020-01-01", 0, 0, false},
		{"2000-01-01", "2020", 0, 0, false},
	}
	for _, tt := range tests {
		least, most, ok := ageRange(tt.dob, tt.at)
		if least != tt.least || most != tt.most || ok != tt.ok {
			t.Errorf("ageRange(%s, %s) = %d, %d, %v; want %d, %d, %v", tt.dob, tt.at, least, most, ok, tt.least, tt.most, tt.ok)
		}
	}
}
