package schema

// Reason codes of a Violation. They are stable: departments filter on them,
// and metrics label rejects with them.
const (
	// ReasonRequired: a required field has no value (absent, null or blank).
	ReasonRequired = "required_missing"
	// ReasonUnknownField: the record has a field its kind does not define.
	ReasonUnknownField = "unknown_field"
	// ReasonBadFormat: a value has the wrong type, length or form.
	ReasonBadFormat = "bad_format"
	// ReasonBadValue: a value is not one of a field's values or out of range.
	ReasonBadValue = "bad_value"
	// ReasonBadDate: a date is not a calendar date in the schema's form.
	ReasonBadDate = "bad_date"
	// ReasonBadPhone: a phone number is not +84 and 9 or 10 digits.
	ReasonBadPhone = "bad_phone"
	// ReasonBadEmail: an e-mail address does not have the form of one.
	ReasonBadEmail = "bad_email"
	// ReasonBadID: an ID number does not have the form of one.
	ReasonBadID = "id_invalid"
	// ReasonIDProvince: a personal ID number starts with no province code.
	ReasonIDProvince = "id_invalid_province"
	// ReasonIDSex: a personal ID number encodes the other sex.
	ReasonIDSex = "id_sex_mismatch"
	// ReasonIDBirthYear: a personal ID number encodes another birth year.
	ReasonIDBirthYear = "id_birth_year_mismatch"
	// ReasonDateOrder: two dates of a record are in an impossible order.
	ReasonDateOrder = "date_order"
	// ReasonFutureDate: a date of something that has happened (a birth, a
	// registration, an issue) is after the day the record was validated.
	ReasonFutureDate = "date_in_future"
	// ReasonImplausibleAge: a person would have died older than anyone
	// has lived.
	ReasonImplausibleAge = "implausible_age"
	// ReasonUnderAge: a spouse was below the legal age of marriage on the
	// registration date.
	ReasonUnderAge = "under_legal_age"
	// ReasonBenefitMismatch: a health-insurance card's benefit level
	// differs from the level its card code holds.
	ReasonBenefitMismatch = "benefit_level_mismatch"
	// ReasonCategoryAge: a social-assistance category does not fit the
	// beneficiary's age.
	ReasonCategoryAge = "category_age_mismatch"
	// ReasonNoMapping: the mapping could not make the field from the source
	// record (reported by package mapping).
	ReasonNoMapping = "mapping_error"
	// ReasonDuplicateKey marks a record whose natural key is already held by a
	// different source record.
	ReasonDuplicateKey = "duplicate_key"
	// ReasonEncoding: a text value looks like legacy Vietnamese (TCVN3, VNI,
	// Windows-1258) or UTF-8 misread into a Unicode column, and no reading
	// of it is certain (reported by package mapping; vn.ReasonEncoding).
	ReasonEncoding = "encoding_suspect"
)

// Reason describes a reason code for the departments that receive rejects.
type Reason struct {
	Code string
	// Meaning says what the code means; Action what the department should do.
	Meaning string
	Action  string
}

// Reasons returns every reason code a reject can carry from validation,
// mapping or the national write, with what to do about it.
func Reasons() []Reason {
	return []Reason{
		{ReasonRequired, "A required field has no value: it is absent, null or only spaces.",
			"Fill the field in the source system; if the source has it, map the column that holds it."},
		{ReasonUnknownField, "The record has a field its kind does not define.",
			"Fix the field name in the mapping file (see the kind's fields in this document)."},
		{ReasonBadFormat, "A value has the wrong type (text for a number), is too long, or does not have the form its rule asks for.",
			"Correct the value in the source, or add a transform to the mapping (trim, digits, a number conversion)."},
		{ReasonBadValue, "A value is not one of the field's listed values, or a number is out of range.",
			"Use one of the listed values; map the source's own codes to them with a value table in the mapping."},
		{ReasonBadDate, "A date is not a real calendar date written YYYY-MM-DD (or YYYY-MM, YYYY where the field allows a partial date).",
			"Check the date in the source (day and month swapped, 31 in a 30-day month, 29 February of a common year) and the date formats in the mapping."},
		{ReasonBadPhone, "A phone number is not in E.164 form: +84 followed by 9 or 10 digits.",
			"Correct the number; the mapping's phone normaliser turns 0-prefixed and renumbered mobile numbers into this form."},
		{ReasonBadEmail, "An e-mail address does not have the form of one: a name of letters, digits or ._%+-, @, and a domain with a dot, in lower case.",
			"Correct the address in the source; the mapping's email normaliser trims it and writes the domain in lower case."},
		{ReasonBadID, "An ID number does not have the form of a 12-digit personal ID number (or, where allowed, a 9-digit CMND number).",
			"Check the number against the citizen's ID card or the population database and correct it in the source."},
		{ReasonIDProvince, "A personal ID number does not start with a province code of Circular 07/2016/TT-BCA.",
			"The number is mistyped: check it against the citizen's ID card and correct it in the source."},
		{ReasonIDSex, "The 4th digit of a personal ID number encodes the other sex than the record's.",
			"Either the ID number or the sex is wrong in the source: check both against the ID card or birth certificate."},
		{ReasonIDBirthYear, "Digits 4 to 6 of a personal ID number encode another birth year than the record's date of birth.",
			"Either the ID number or the date of birth is wrong in the source: check both against the ID card or birth certificate."},
		{ReasonDateOrder, "Two dates of the record are in an impossible order, e.g. a registration before the birth, or a card that ends before, or on, the day it starts.",
			"Check both dates in the source; one of them is mistyped."},
		{ReasonFutureDate, "A date of something that has already happened (a birth, a death, a registration, an issue, a decision) is after the day the record was validated, in Vietnam's calendar (UTC+7). A partial date is in the future only when its whole year or month is.",
			"The date is mistyped (often the year) or the record was entered ahead of time: correct it in the source."},
		{ReasonImplausibleAge, "The dates of birth and death make the person older than 122, the longest human life verified.",
			"One of the years is mistyped: check the dates of birth and death against the papers and correct the source."},
		{ReasonUnderAge, "A spouse was below the legal age of marriage on the registration date: fully 20 for a man and 18 for a woman (Law on Marriage and Family 2014, art. 8); for registrations before 2015-01-01, the year of turning 20 or 18, as the earlier laws were read. A partial date of birth counts from its first day.",
			"Check the date of birth and the registration date against the register; an under-age marriage that was registered is a matter for the justice department, not for the sync."},
		{ReasonBenefitMismatch, "A health-insurance card's benefit level differs from the level in the third character of its 15-character card code.",
			"Check the card: correct the benefit level or the card code in the source."},
		{ReasonCategoryAge, "The social-assistance category does not fit the beneficiary's age on the decision date (Decree 20/2021/NĐ-CP, art. 5): under 16 for orphan_child and child_with_hiv, 16 to 22 for orphan_student, under 3 for young_child_poor_area, 60 or older for elderly, 16 or older for adult_with_hiv.",
			"Check the date of birth and the category in the decision; correct the one that is wrong in the source."},
		{ReasonNoMapping, "The mapping could not make a field, e.g. its source column is missing from the record.",
			"Fix the mapping file or the source's columns; the message names the column."},
		{ReasonDuplicateKey, "Another source record already delivered a record with the same natural key.",
			"Find the two source records with the same key (the message names the other) and merge or correct them."},
		{ReasonEncoding, "A text value looks like legacy Vietnamese text (TCVN3, VNI, Windows-1258) or UTF-8 that was misread into a Unicode column, and no one reading of it is certain; the message shows the text as stored and its likeliest readings. Values whose reading is certain are repaired, not rejected.",
			"Retype the value in Unicode in the source, or, when the whole column is in one legacy encoding, decode it in the mapping: decode(ho_ten, \"tcvn3\")."},
	}
}
