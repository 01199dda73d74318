package schema

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// testNow is the moment the validation tests run at: 2026-06-15 in
// Vietnam, 17:30 UTC of the 14th, so that a test that took the UTC day
// would fail.
var testNow = time.Date(2026, 6, 14, 17, 30, 0, 0, time.UTC)

// change sets fields of a record; a value of del deletes the field.
type change map[string]any

var del = struct{ deleted bool }{true}

type validateCase struct {
	name   string
	change change
	codes  []string // reason codes, in the order Validate reports them
}

// validateCases are, per kind, a valid record (the kind's example with the
// change) and each rule failing with its code.
var validateCases = map[string][]validateCase{
	"person": {
		{"example", nil, nil},
		{"year of birth only", change{"date_of_birth": "1990"}, nil},
		{"year and month of birth", change{"date_of_birth": "1990-05"}, nil},
		{"absent optional fields", change{"ethnicity": nil, "native_place": "", "old_id_number": del}, nil},
		{"missing ID number", change{"id_number": del}, []string{ReasonRequired}},
		{"blank name", change{"full_name": "   "}, []string{ReasonRequired}},
		{"no such day", change{"date_of_birth": "1990-02-30"}, []string{ReasonBadDate}},
		{"day first", change{"date_of_birth": "17/05/1990"}, []string{ReasonBadDate}},
		{"month 13", change{"date_of_birth": "1990-13"}, []string{ReasonBadDate}},
		{"sex in Vietnamese", change{"sex": "Nam"}, []string{ReasonBadValue}},
		{"11-digit ID", change{"id_number": "04209000123"}, []string{ReasonBadID}},
		{"ID with a space", change{"id_number": "042 090001234"}, []string{ReasonBadID}},
		{"ID of no province", change{"id_number": "003090001234"}, []string{ReasonIDProvince}},
		{"ID of another birth year", change{"date_of_birth": "1991-05-17"}, []string{ReasonIDBirthYear}},
		{"ID of the other sex", change{"sex": "F"}, []string{ReasonIDSex}},
		{"12 digits as old ID", change{"old_id_number": "042090001234"}, []string{ReasonBadID}},
		{"number for text", change{"full_name": 12}, []string{ReasonBadFormat}},
		{"too long", change{"native_place": strings.Repeat("ệ", 256)}, []string{ReasonBadFormat}},
		{"unknown field", change{"nick_name": "Bình"}, []string{ReasonUnknownField}},
		{"unknown field without value", change{"nick_name": nil}, nil},
		{"without the 1.1 fields", change{"mobile_phone": del, "landline_phone": del, "email": del}, nil},
		{"Viettel mobile", change{"mobile_phone": "+84381234567"}, nil},
		{"Hà Nội landline", change{"landline_phone": "+842438255555"}, nil},
		{"mobile with its trunk 0", change{"mobile_phone": "0912345678"}, []string{ReasonBadPhone}},
		{"mobile of before 2018", change{"mobile_phone": "+841681234567"}, []string{ReasonBadPhone}},
		{"landline as the mobile", change{"mobile_phone": "+842393855555"}, []string{ReasonBadPhone}},
		{"mobile as the landline", change{"landline_phone": "+84912345678"}, []string{ReasonBadPhone}},
		{"landline of before 2017", change{"landline_phone": "+84393855555"}, []string{ReasonBadPhone}},
		{"e-mail with a subdomain", change{"email": "binh.nv@hatinh.gov.vn"}, nil},
		{"e-mail domain in capitals", change{"email": "binh@HATINH.GOV.VN"}, []string{ReasonBadEmail}},
		{"e-mail without a dot", change{"email": "binh@localhost"}, []string{ReasonBadEmail}},
		{"e-mail with a space", change{"email": "nguyen binh@example.vn"}, []string{ReasonBadEmail}},
		{"two e-mails", change{"email": "a@example.vn; b@example.vn"}, []string{ReasonBadEmail}},
		{"e-mail too long", change{"email": strings.Repeat("a", 250) + "@example.vn"}, []string{ReasonBadEmail}},
		{"several at once", change{"sex": del, "date_of_birth": "1990-02-30", "zz": "x", "aa": "y"},
			[]string{ReasonBadDate, ReasonRequired, ReasonUnknownField, ReasonUnknownField}},
	},
	"birth_registration": {
		{"example", nil, nil},
		{"no ID number yet", change{"id_number": del}, nil},
		{"registered the day of birth", change{"registration_date": "2024-03-01"}, nil},
		{"registered before birth", change{"registration_date": "2024-02-29"}, []string{ReasonDateOrder}},
		{"partial date of birth", change{"date_of_birth": "2024"}, []string{ReasonBadDate}},
		{"mother's ID is a man's", change{"mother_id_number": "042095000456"}, []string{ReasonIDSex}},
		{"father's ID is a woman's", change{"father_id_number": "042192000789"}, []string{ReasonIDSex}},
		{"child's ID of another year", change{"id_number": "042223000123"}, []string{ReasonIDBirthYear}},
		{"missing agency", change{"registering_agency": del}, []string{ReasonRequired}},
		{"certificate number too long", change{"certificate_number": strings.Repeat("1", 51)}, []string{ReasonBadFormat}},
	},
	"marriage_registration": {
		{"example", nil, nil},
		{"old identity card numbers", change{"husband_id_number": "183456789", "wife_id_number": "183456780"}, nil},
		{"years of birth only", change{"husband_date_of_birth": "1992", "wife_date_of_birth": "1995"}, nil},
		{"husband's ID is a woman's", change{"husband_id_number": "042192001111"}, []string{ReasonIDSex}},
		{"wife's ID of another year", change{"wife_date_of_birth": "1996-02-11"}, []string{ReasonIDBirthYear}},
		{"10-digit ID", change{"wife_id_number": "0421950022"}, []string{ReasonBadID}},
		{"registered before the wife's birth, the husband 2", change{"registration_date": "1994-12-01"}, []string{ReasonDateOrder, ReasonUnderAge}},
		{"registered before both births", change{"registration_date": "1991-12-01"}, []string{ReasonDateOrder, ReasonDateOrder}},
		{"registered in the wife's birth year: not before it, but under age", change{"registration_date": "1995-12-01", "husband_date_of_birth": "1990", "husband_id_number": del, "wife_date_of_birth": "1995", "wife_id_number": del},
			[]string{ReasonUnderAge, ReasonUnderAge}},
		{"missing wife's name", change{"wife_full_name": del}, []string{ReasonRequired}},
	},
	"death_registration": {
		{"example", nil, nil},
		{"old identity card number", change{"id_number": "183456789"}, nil},
		{"registered the day of death", change{"registration_date": "2024-12-30"}, nil},
		{"died before birth", change{"date_of_death": "1937-12-31", "registration_date": "2025-01-03"}, []string{ReasonDateOrder}},
		{"registered before death", change{"registration_date": "2024-12-29"}, []string{ReasonDateOrder}},
		{"ID of the other sex", change{"sex": "F"}, []string{ReasonIDSex}},
		{"partial date of death", change{"date_of_death": "2024-12"}, []string{ReasonBadDate}},
		{"missing date of death", change{"date_of_death": del}, []string{ReasonRequired}},
	},
	"health_insurance_card": {
		{"example", nil, nil},
		{"card of the 2021 form", change{"card_number": "4212345678", "benefit_level": del}, nil},
		{"no end date", change{"valid_to": del}, nil},
		{"year of birth only", change{"date_of_birth": "1985"}, nil},
		{"valid to the day it starts", change{"valid_to": "2025-01-01"}, []string{ReasonDateOrder}},
		{"valid to before valid from", change{"valid_to": "2024-12-31"}, []string{ReasonDateOrder}},
		{"benefit digit 6 in the card", change{"card_number": "GD6424212345678"}, []string{ReasonBadFormat}},
		{"lower-case card", change{"card_number": "gd4424212345678"}, []string{ReasonBadFormat}},
		{"benefit level 6", change{"benefit_level": "6"}, []string{ReasonBadValue}},
		{"benefit level as a number", change{"benefit_level": 4}, []string{ReasonBadValue}},
		{"4-digit facility code", change{"initial_facility_code": "4200"}, []string{ReasonBadFormat}},
		{"ID of another birth year", change{"date_of_birth": "1986"}, []string{ReasonIDBirthYear}},
	},
	"social_assistance_beneficiary": {
		{"example", nil, nil},
		{"allowance as int", change{"monthly_allowance": 750000}, nil},
		{"allowance as json.Number", change{"monthly_allowance": json.Number("750000")}, nil},
		{"allowance as whole float", change{"monthly_allowance": 750000.0}, nil},
		{"negative allowance", change{"monthly_allowance": -1}, []string{ReasonBadValue}},
		{"allowance as text", change{"monthly_allowance": "750000"}, []string{ReasonBadFormat}},
		{"fraction of a đồng", change{"monthly_allowance": 750000.5}, []string{ReasonBadFormat}},
		{"category not in the decree", change{"category": "poor"}, []string{ReasonBadValue}},
		{"decision before birth", change{"decision_date": "1944-12-31"}, []string{ReasonDateOrder}},
		{"4-digit commune code", change{"commune_code": "1807"}, []string{ReasonBadFormat}},
	},
	"land_use_certificate": {
		{"example", nil, nil},
		{"one holder with an old card", change{"holder_id_number": "183456789", "co_holder_full_name": del, "co_holder_id_number": del}, nil},
		{"integer area", change{"area_m2": 200}, nil},
		{"zero area", change{"area_m2": 0}, []string{ReasonBadValue}},
		{"area with a decimal comma", change{"area_m2": "215,5"}, []string{ReasonBadFormat}},
		{"serial with a space", change{"certificate_serial": "CS 123456"}, []string{ReasonBadFormat}},
		{"co-holder's ID without a name", change{"co_holder_full_name": del}, []string{ReasonRequired}},
		{"use term ends the day of issue", change{"use_until": "2019-06-12"}, []string{ReasonDateOrder}},
		{"use term ends later", change{"use_until": "2069-06-12"}, nil},
		{"holder's ID of no province", change{"holder_id_number": "003090001234"}, []string{ReasonIDProvince}},
		{"form of use in Vietnamese", change{"use_form": "riêng"}, []string{ReasonBadValue}},
	},
	"business_registration": {
		{"example", nil, nil},
		{"branch code", change{"enterprise_code": "3001234567-001", "enterprise_type": "branch", "charter_capital": del}, nil},
		{"mobile phone", change{"phone": "+84912345678"}, nil},
		{"phone with a leading 0", change{"phone": "0912345678"}, []string{ReasonBadPhone}},
		{"9-digit code", change{"enterprise_code": "300123456"}, []string{ReasonBadFormat}},
		{"13 digits without hyphen", change{"enterprise_code": "3001234567001"}, []string{ReasonBadFormat}},
		{"unknown status", change{"status": "closed"}, []string{ReasonBadValue}},
		{"capital with a fraction", change{"charter_capital": 1.5}, []string{ReasonBadFormat}},
		{"change before registration", change{"latest_change_date": "2018-03-19"}, []string{ReasonDateOrder}},
		{"representative's ID of no province", change{"legal_representative_id_number": "003090001234"}, []string{ReasonIDProvince}},
	},
}

func TestValidate(t *testing.T) {
	for _, k := range Kinds() {
		cases := validateCases[k.Name]
		if len(cases) == 0 {
			t.Errorf("%s has no test cases", k.Name)
		}
		for _, tt := range cases {
			t.Run(k.Name+"/"+tt.name, func(t *testing.T) {
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
					codes = append(codes, v.Code)
					checkMessage(t, k, v)
				}
				if !slices.Equal(codes, tt.codes) {
					t.Fatalf("codes = %v, want %v\n%v", codes, tt.codes, vs)
				}
				if len(tt.codes) == 0 && vs != nil {
					t.Fatalf("a valid record must give nil, got %#v", vs)
				}
				// The same record as its fields' values, unless it has
				// fields the kind does not define.
				fields := make([]any, len(k.Fields))
				for i, f := range k.Fields {
					fields[i] = rec[f.Name]
				}
				if slices.Contains(codes, ReasonUnknownField) {
					return
				}
				if got := k.ValidateFieldsAt(fields, testNow); !reflect.DeepEqual(got, vs) {
					t.Fatalf("ValidateFields = %v, Validate = %v", got, vs)
				}
				if got := k.ValidateFieldsAt(fields[:len(fields)-1], testNow); !reflect.DeepEqual(got, k.ValidateAt(withoutLast(k, rec), testNow)) {
					t.Fatalf("ValidateFields of all but the last field = %v", got)
				}
			})
		}
	}
}

// TestValidateAllocs holds Validate and ValidateFields to their promise:
// a valid record costs no garbage.
func TestValidateAllocs(t *testing.T) {
	for _, k := range Kinds() {
		rec := example(t, k)
		fields := make([]any, len(k.Fields))
		for i, f := range k.Fields {
			fields[i] = rec[f.Name]
		}
		if vs := k.Validate(rec); vs != nil {
			t.Fatalf("%s: the example is not valid: %v", k.Name, vs)
		}
		if n := allocsPerRun(func() { k.Validate(rec) }); n != 0 {
			t.Errorf("%s: Validate allocates %v times per record", k.Name, n)
		}
		if n := allocsPerRun(func() { k.ValidateFields(fields) }); n != 0 {
			t.Errorf("%s: ValidateFields allocates %v times per record", k.Name, n)
		}
	}
}

// allocsPerRun is the fewest allocations per call of f over three
// measures. testing.AllocsPerRun counts the whole process's allocations,
// and under the race detector a runtime goroutine sometimes allocates
// while it measures; an allocation f makes shows in every measure.
func allocsPerRun(f func()) float64 {
	n := testing.AllocsPerRun(100, f)
	for range 2 {
		n = min(n, testing.AllocsPerRun(100, f))
	}
	return n
}

// withoutLast is rec without the kind's last field.
func withoutLast(k *Kind, rec map[string]any) map[string]any {
	out := maps.Clone(rec)
	delete(out, k.Fields[len(k.Fields)-1].Name)
	return out
}

// checkMessage: a department officer must see the field, its Vietnamese
// label and what is wrong.
func checkMessage(t *testing.T, k *Kind, v Violation) {
	t.Helper()
	if v.Field == "" || !strings.Contains(v.Message, v.Field) {
		t.Errorf("message %q does not name the field %q", v.Message, v.Field)
	}
	if f := k.Field(v.Field); f != nil && !strings.Contains(v.Message, f.Label) {
		t.Errorf("message %q does not give the label %q", v.Message, f.Label)
	}
	if !slices.ContainsFunc(Reasons(), func(r Reason) bool { return r.Code == v.Code }) {
		t.Errorf("code %q is not in Reasons()", v.Code)
	}
}

func TestValidateMessages(t *testing.T) {
	k := mustKind(t, "person")
	rec := example(t, k)
	rec["date_of_birth"], rec["id_number"], rec["sex"] = "31/02/1990", "04209000123", true
	vs := k.Validate(rec)
	want := []string{
		`id_number (Số định danh cá nhân) "04209000123" is not a 12-digit personal ID number`,
		`date_of_birth (Ngày, tháng, năm sinh) "31/02/1990" is not a date written YYYY-MM-DD, or YYYY-MM or YYYY when the register holds only part of it`,
		`sex (Giới tính) must be one of M, F, got true`,
	}
	if len(vs) != len(want) {
		t.Fatalf("got %v", vs)
	}
	for i, v := range vs {
		if v.Message != want[i] {
			t.Errorf("message %d = %q, want %q", i, v.Message, want[i])
		}
	}
}

func TestNaturalKey(t *testing.T) {
	tests := []struct{ kind, want string }{
		{"person", "042090001234"},
		{"birth_registration", "UBND xã Thạch Hà|12/2024"},
		{"marriage_registration", "UBND phường Thành Sen|45/2020"},
		{"death_registration", "UBND xã Thạch Kênh|03/2025"},
		{"health_insurance_card", "GD4424212345678"},
		{"social_assistance_beneficiary", "042145000789"},
		{"land_use_certificate", "CS123456"},
		{"business_registration", "3001234567"},
	}
	for _, tt := range tests {
		k := mustKind(t, tt.kind)
		rec := example(t, k)
		if got := k.NaturalKey(rec); got != tt.want {
			t.Errorf("%s: NaturalKey = %q, want %q", tt.kind, got, tt.want)
		}
		fields := make([]any, len(k.Fields))
		for name, v := range rec {
			fields[k.FieldIndex(name)] = v
		}
		if got := k.NaturalKeyFields(fields); got != tt.want {
			t.Errorf("%s: NaturalKeyFields = %q, want %q", tt.kind, got, tt.want)
		}
	}
	if k := mustKind(t, "person"); k.FieldIndex("no_such_field") != -1 {
		t.Error("FieldIndex of an unknown field is not -1")
	}
}

func BenchmarkNaturalKey(b *testing.B) {
	k := mustKind(b, "birth_registration")
	rec := example(b, k)
	b.ReportAllocs()
	for b.Loop() {
		_ = k.NaturalKey(rec)
	}
}
