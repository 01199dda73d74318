package vn

// Reason codes of normaliser failures. They are stable: departments filter
// rejects on them.
const (
	ReasonBadDate     = "bad_date"
	ReasonBadPhone    = "bad_phone"
	ReasonIDFormat    = "id_invalid"
	ReasonIDProvince  = "id_invalid_province"
	ReasonIDSex       = "id_sex_mismatch"
	ReasonIDBirthYear = "id_birth_year_mismatch"
	ReasonBadSex      = "bad_sex"
	ReasonEncoding    = "encoding_suspect"
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
