package schema

import (
	"errors"
	"fmt"
	"slices"

	"github.com/lienthong/lienthong/mapping/vn"
)

// A rule is a cross-field check of one kind: what a JSON Schema cannot say.
// It sees only fields that are present and passed their own checks, so a
// record with a bad date is reported once, for the date. Rules are one
// concrete type, not an interface, so the per-record state they read stays
// on the stack.
type rule struct {
	op   ruleOp
	a, b string // the fields: see the ops
	c    string
	// sex is the sex an ID field implies for opID (a mother's is F), and
	// the sex whose legal age opMarriageAge checks.
	sex string
	// years is the legal age of opMarriageAge.
	years int
	// ia, ib, ic index a, b, c in the kind's fields (-1: not set).
	ia, ib, ic int
}

type ruleOp uint8

const (
	// opNotBefore: date a is not before date b. Either may be partial;
	// they are compared at the precision both have.
	opNotBefore ruleOp = iota + 1
	// opAfter: date a is after date b.
	opAfter
	// opNeeds: when a has a value, b must have one too.
	opNeeds
	// opID: a 12-digit personal ID number a has a province code and
	// encodes the birth year of date b and the sex of field c (or the
	// rule's sex). 9-digit CMND numbers have no such structure and pass.
	// The check is mapping/vn's, which mappings share.
	opID
	// opNotFuture: date a is not after the day of validation in Vietnam.
	opNotFuture
	// opMaxAge: a person born on date a is not older than maxAge on date b.
	opMaxAge
	// opMarriageAge: a person of sex `sex` born on date a has the legal
	// age of marriage (years) on the registration date b.
	opMarriageAge
	// opCardBenefit: the benefit level b agrees with the third character
	// of a 15-character health-insurance card code a.
	opCardBenefit
	// opCategoryAge: the social-assistance category a fits the age, on
	// date c, of a person born on date b (categoryAges).
	opCategoryAge
)

func notBefore(later, earlier string) rule { return rule{op: opNotBefore, a: later, b: earlier} }
func after(later, earlier string) rule     { return rule{op: opAfter, a: later, b: earlier} }
func needs(field, needed string) rule      { return rule{op: opNeeds, a: field, b: needed} }
func idMatches(id, dob, sex string) rule   { return rule{op: opID, a: id, b: dob, c: sex} }

func notFuture(date string) rule          { return rule{op: opNotFuture, a: date} }
func plausibleAge(dob, at string) rule    { return rule{op: opMaxAge, a: dob, b: at} }
func cardBenefit(card, level string) rule { return rule{op: opCardBenefit, a: card, b: level} }
func categoryAge(category, dob, at string) rule {
	return rule{op: opCategoryAge, a: category, b: dob, c: at}
}

// marriageAge: the spouse of the sex, born on dob, has the legal age on
// the registration date at.
func marriageAge(dob, at, sex string, years int) rule {
	return rule{op: opMarriageAge, a: dob, b: at, sex: sex, years: years}
}

// idOfSex is an ID field whose holder's sex the field implies.
func idOfSex(id, dob, sex string) rule { return rule{op: opID, a: id, b: dob, sex: sex} }

// kindRules are the cross-field rules of each kind, in the order they run.
var kindRules = map[string][]rule{
	"person": {
		idMatches("id_number", "date_of_birth", "sex"),
		notFuture("date_of_birth"),
	},
	"birth_registration": {
		idMatches("id_number", "date_of_birth", "sex"),
		idOfSex("mother_id_number", "", "F"),
		idOfSex("father_id_number", "", "M"),
		notBefore("registration_date", "date_of_birth"),
		notFuture("date_of_birth"),
		notFuture("registration_date"),
	},
	"marriage_registration": {
		idOfSex("husband_id_number", "husband_date_of_birth", "M"),
		idOfSex("wife_id_number", "wife_date_of_birth", "F"),
		notBefore("registration_date", "husband_date_of_birth"),
		notBefore("registration_date", "wife_date_of_birth"),
		notFuture("registration_date"),
		marriageAge("husband_date_of_birth", "registration_date", "M", 20),
		marriageAge("wife_date_of_birth", "registration_date", "F", 18),
	},
	"death_registration": {
		idMatches("id_number", "date_of_birth", "sex"),
		notBefore("date_of_death", "date_of_birth"),
		notBefore("registration_date", "date_of_death"),
		notFuture("date_of_death"),
		notFuture("registration_date"),
		plausibleAge("date_of_birth", "date_of_death"),
	},
	"health_insurance_card": {
		idMatches("id_number", "date_of_birth", "sex"),
		after("valid_to", "valid_from"),
		notBefore("valid_from", "date_of_birth"),
		notFuture("date_of_birth"),
		cardBenefit("card_number", "benefit_level"),
	},
	"social_assistance_beneficiary": {
		idMatches("id_number", "date_of_birth", "sex"),
		notBefore("decision_date", "date_of_birth"),
		notFuture("date_of_birth"),
		notFuture("decision_date"),
		categoryAge("category", "date_of_birth", "decision_date"),
	},
	"land_use_certificate": {
		idMatches("holder_id_number", "", ""),
		idMatches("co_holder_id_number", "", ""),
		needs("co_holder_id_number", "co_holder_full_name"),
		after("use_until", "issue_date"),
		notFuture("issue_date"),
	},
	"business_registration": {
		idMatches("legal_representative_id_number", "", ""),
		notBefore("latest_change_date", "first_registration_date"),
		notFuture("first_registration_date"),
		notFuture("latest_change_date"),
	},
}

// bind resolves the rule's field names in its kind and checks their types.
func (r *rule) bind(k *Kind) error {
	for _, f := range []struct {
		name string
		i    *int
	}{{r.a, &r.ia}, {r.b, &r.ib}, {r.c, &r.ic}} {
		*f.i = -1
		if f.name == "" {
			continue
		}
		i, ok := k.byName[f.name]
		if !ok {
			return fmt.Errorf("%s has no field %q", k.Name, f.name)
		}
		*f.i = i
	}
	isDate := func(i int) bool { return i >= 0 && k.Fields[i].Type == Date }
	switch r.op {
	case opNotBefore, opAfter:
		if !isDate(r.ia) || !isDate(r.ib) {
			return fmt.Errorf("%s and %s must be dates", r.a, r.b)
		}
	case opNeeds:
		if r.ia < 0 || r.ib < 0 {
			return fmt.Errorf("needs two fields")
		}
	case opID:
		if t := k.Fields[r.ia].Type; t != IDNumber && t != IDNumberOrCMND {
			return fmt.Errorf("%s is not an ID number", r.a)
		}
		if r.b != "" && !isDate(r.ib) {
			return fmt.Errorf("%s is not a date", r.b)
		}
	case opNotFuture:
		if !isDate(r.ia) {
			return fmt.Errorf("%s must be a date", r.a)
		}
	case opMaxAge, opMarriageAge:
		if !isDate(r.ia) || !isDate(r.ib) || k.Fields[r.ib].Partial {
			return fmt.Errorf("%s must be a date and %s a full date", r.a, r.b)
		}
	case opCardBenefit:
		if r.ia < 0 || r.ib < 0 || k.Fields[r.ib].Type != Enum {
			return fmt.Errorf("%s must be a listed level", r.b)
		}
	case opCategoryAge:
		f := &k.Fields[r.ia]
		if f.Type != Enum || !isDate(r.ib) || !isDate(r.ic) || k.Fields[r.ic].Partial {
			return fmt.Errorf("%s must be listed values, %s a date and %s a full date", r.a, r.b, r.c)
		}
		for cat := range categoryAges {
			if !slices.Contains(f.Values, cat) {
				return fmt.Errorf("%s has no value %q", r.a, cat)
			}
		}
	default:
		return fmt.Errorf("unknown rule")
	}
	return nil
}

func (r *rule) check(k *Kind, vals *values, vs []Violation) []Violation {
	switch r.op {
	case opNotFuture, opMaxAge, opMarriageAge, opCardBenefit, opCategoryAge:
		return r.checkClerk(k, vals, vs)
	case opNotBefore, opAfter:
		later, earlier := vals.valid[r.ia], vals.valid[r.ib]
		if later == "" || earlier == "" {
			return vs
		}
		c := compareDates(later, earlier)
		if c > 0 || c == 0 && (r.op == opNotBefore || len(later) != len(earlier)) {
			return vs
		}
		lf, ef := &k.Fields[r.ia], &k.Fields[r.ib]
		word := "before"
		if c == 0 {
			word = "the same day as"
		}
		return append(vs, Violation{lf.Name, ReasonDateOrder, fmt.Sprintf("%s (%s) %s is %s %s (%s) %s",
			lf.Name, lf.Label, later, word, ef.Name, ef.Label, earlier)})
	case opNeeds:
		if vals.present&(1<<r.ia) == 0 || vals.present&(1<<r.ib) != 0 {
			return vs
		}
		f, n := &k.Fields[r.ia], &k.Fields[r.ib]
		return append(vs, Violation{n.Name, ReasonRequired,
			fmt.Sprintf("%s (%s) is required when %s (%s) is given", n.Name, n.Label, f.Name, f.Label)})
	case opID:
		id := vals.valid[r.ia]
		if len(id) != 12 {
			return vs // absent, invalid (reported already) or a 9-digit CMND number
		}
		dob, sex := "", r.sex
		if r.ib >= 0 {
			dob = vals.valid[r.ib]
		}
		if r.ic >= 0 {
			sex = vals.valid[r.ic]
		}
		err := checkID(id, dob, sex)
		if err == nil {
			return vs
		}
		f := &k.Fields[r.ia]
		code, msg := ReasonBadID, err.Error()
		var e *vn.Error
		if errors.As(err, &e) {
			code = e.Code
		}
		if code == ReasonIDSex && r.sex != "" {
			msg += "; the field is for a holder of sex " + r.sex
		}
		return append(vs, Violation{f.Name, code, fmt.Sprintf("%s (%s): %s", f.Name, f.Label, msg)})
	}
	return vs
}

// describe says the rule in words, with the codes it reports, for docs.
func (r *rule) describe() string {
	switch r.op {
	case opNotBefore:
		return fmt.Sprintf("`%s` is not before `%s` (%s)", r.a, r.b, ReasonDateOrder)
	case opAfter:
		return fmt.Sprintf("`%s` is after `%s` (%s)", r.a, r.b, ReasonDateOrder)
	case opNeeds:
		return fmt.Sprintf("`%s` is required when `%s` is given (%s)", r.b, r.a, ReasonRequired)
	case opNotFuture:
		return fmt.Sprintf("`%s` is not after the day of validation, in Vietnam's calendar (%s)", r.a, ReasonFutureDate)
	case opMaxAge:
		return fmt.Sprintf("the person born on `%s` is not older than %d on `%s` (%s)", r.a, maxAge, r.b, ReasonImplausibleAge)
	case opMarriageAge:
		return fmt.Sprintf("the %s born on `%s` is fully %d on `%s`, by the Law on Marriage and Family 2014, art. 8; before 2015-01-01, in the year of turning %d (%s)",
			map[string]string{"M": "husband", "F": "wife"}[r.sex], r.a, r.years, r.b, r.years, ReasonUnderAge)
	case opCardBenefit:
		return fmt.Sprintf("`%s` agrees with the third character of a 15-character `%s` (%s)", r.b, r.a, ReasonBenefitMismatch)
	case opCategoryAge:
		return fmt.Sprintf("`%s` fits the age on `%s` of the person born on `%s`, by Decree 20/2021/NĐ-CP, art. 5: %s (%s)",
			r.a, r.c, r.b, categoryAgeList(), ReasonCategoryAge)
	}
	var with string
	codes := ReasonIDProvince
	switch {
	case r.b != "" && r.c != "":
		with = fmt.Sprintf(", and encodes the birth year of `%s` and the sex of `%s`", r.b, r.c)
	case r.b != "":
		with = fmt.Sprintf(", and encodes the birth year of `%s` and sex %s", r.b, r.sex)
	case r.sex != "":
		with = fmt.Sprintf(", and encodes sex %s", r.sex)
	}
	if r.b != "" {
		codes += ", " + ReasonIDBirthYear
	}
	if r.c != "" || r.sex != "" {
		codes += ", " + ReasonIDSex
	}
	return fmt.Sprintf("`%s`, when 12 digits, starts with a province code%s (%s)", r.a, with, codes)
}

// checkID checks a 12-digit personal ID number with mapping/vn against a
// date of birth (YYYY-MM-DD, YYYY-MM or YYYY, as the schema validated it)
// and a sex (M or F); either may be "" when unknown. The errors are
// *vn.Error with the same reason codes as this package's.
func checkID(id, dob, sex string) error {
	parsed, err := vn.ParseID(id)
	if err != nil {
		return err
	}
	return parsed.Check(vnDate(dob), sex)
}

// vnDate converts a date the schema validated into a vn.Date without
// re-parsing it: vn.ParseDate reads what departments write and rejects
// years it considers placeholders, which is not this rule's concern.
func vnDate(s string) vn.Date {
	var d vn.Date
	if len(s) < 4 {
		return d
	}
	d.Year = atoi(s[0:4])
	d.Precision = vn.PrecisionYear
	if len(s) >= 7 {
		d.Month = atoi(s[5:7])
		d.Precision = vn.PrecisionMonth
	}
	if len(s) == 10 {
		d.Day = atoi(s[8:10])
		d.Precision = vn.PrecisionDay
	}
	return d
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
