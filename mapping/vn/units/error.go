package units

// Reason codes of lookup errors. They are stable: departments filter rejects
// on them.
const (
	// ReasonUnknownUnit: no unit of the record's era matches the value.
	ReasonUnknownUnit = "unknown_admin_unit"
	// ReasonAmbiguousUnit: several units match, or an old unit split into
	// several current ones; Error.Candidates lists them.
	ReasonAmbiguousUnit = "ambiguous_admin_unit"
	// ReasonNoDate: the lookup was given the zero time, so the era of the
	// record is unknown.
	ReasonNoDate = "admin_unit_no_date"
)

// Error is a failed lookup. Message names the value, the era and what to do;
// Code is one of the Reason constants.
type Error struct {
	Code    string
	Message string
	// Candidates are the units an ambiguous value could mean, in code order.
	Candidates []Unit
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Is reports whether target is an *Error with the same Code, so that
// errors.Is(err, ErrUnknownUnit) works on any unknown-unit error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is; lookups return errors with details, never these.
var (
	// ErrUnknownUnit matches every error of code ReasonUnknownUnit.
	ErrUnknownUnit = &Error{Code: ReasonUnknownUnit, Message: "unknown administrative unit"}
	// ErrAmbiguousUnit matches every error of code ReasonAmbiguousUnit.
	ErrAmbiguousUnit = &Error{Code: ReasonAmbiguousUnit, Message: "ambiguous administrative unit"}
	// ErrNoDate matches every error of code ReasonNoDate.
	ErrNoDate = &Error{Code: ReasonNoDate, Message: "administrative unit looked up without a record date"}
)
