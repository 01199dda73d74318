package vn

// Reason codes of normaliser failures. They are stable: departments filter
// rejects on them.
const (
	// ReasonBadDate: a date that does not exist or is not written as a date.
	ReasonBadDate = "bad_date"
	// ReasonBadPhone: not a Vietnamese phone number, old or new.
	ReasonBadPhone = "bad_phone"
	// ReasonIDFormat: a personal ID number that is not 12 digits.
	ReasonIDFormat = "id_invalid"
	// ReasonIDProvince: an ID number whose first three digits are no
	// province code.
	ReasonIDProvince = "id_invalid_province"
	// ReasonIDSex: the ID number encodes the other sex than the record's.
	ReasonIDSex = "id_sex_mismatch"
	// ReasonIDBirthYear: the ID number encodes another birth year than the
	// record's date of birth.
	ReasonIDBirthYear = "id_birth_year_mismatch"
	// ReasonBadSex: a sex value that is not one of the known spellings.
	ReasonBadSex = "bad_sex"
	// ReasonEncoding: bytes the declared encoding cannot have produced.
	ReasonEncoding = "encoding_suspect"
)

// Error is a normaliser failure with a reason code. Every error this package
// returns is an *Error; find it with errors.As.
type Error struct {
	// Code is one of the Reason constants.
	Code string
	// Message names the value and says what is wrong with it.
	Message string
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

func newError(code, msg string) *Error { return &Error{Code: code, Message: msg} }
