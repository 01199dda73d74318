package ops

import (
	"errors"
	"fmt"

	"github.com/lienthong/lienthong/registry"
)

// anyScope lets a department's token of any scope through (reading its
// own department's record).
const anyScope = "*"

// adminOnly marks actions only the administrator may take.
const adminOnly = ""

// authorize is the one place that decides who may act on a department:
// the administrator may do everything; a department's token may act only
// on its own department, whose objects are the only ones that exist for
// it (another department answers exactly as a department that does not
// exist), and only with the scope the action needs.
func authorize(c Caller, dept, scope string) error {
	if c.Admin {
		return nil
	}
	switch {
	case scope == adminOnly:
		return forbidden("only the administrator may do this")
	case c.Client.Department == "":
		return forbidden("client %s is not a department's token", c.Client.Name)
	case c.Client.Department != dept:
		return deptNotFound(dept)
	case scope == anyScope || c.Client.Has(scope):
		return nil
	}
	return forbidden("token %s lacks the scope %s", c.Client.Name, scope)
}

// actor is who the change log names.
func actor(c Caller) registry.Actor {
	if c.Admin {
		return registry.Actor{Name: "admin"}
	}
	return registry.Actor{Name: c.Client.Name, Department: c.Client.Department}
}

// opError is a refusal: it matches its kinds (ErrNotFound, ErrConflict,
// ...) and unwraps to its cause (a registry or state error), so callers
// may test either with errors.Is; its message is written for the caller.
type opError struct {
	kinds []error
	msg   string
	cause error
}

func (e *opError) Error() string { return e.msg }
func (e *opError) Unwrap() error { return e.cause }
func (e *opError) Is(target error) bool {
	for _, k := range e.kinds {
		if k == target {
			return true
		}
	}
	return false
}

func forbidden(format string, a ...any) error {
	return &opError{kinds: []error{ErrForbidden}, msg: "forbidden: " + fmt.Sprintf(format, a...)}
}

func notFound(format string, a ...any) error {
	return &opError{kinds: []error{ErrNotFound}, msg: fmt.Sprintf(format, a...) + " not found"}
}

// deptNotFound is the one answer for a department that does not exist and
// for another department than the token's.
func deptNotFound(dept string) error { return notFound("department %q", dept) }

func conflict(cause error, format string, a ...any) error {
	return &opError{kinds: []error{ErrConflict}, msg: fmt.Sprintf(format, a...), cause: cause}
}

func revisionRequired(what string) error {
	return &opError{kinds: []error{ErrRevisionRequired, ErrConflict},
		msg: fmt.Sprintf("%s: say which revision you change (If-Match: the revision you read)", what)}
}

// fromRegistry turns the registry's errors into the service's: what names
// the object asked for, for a not-found answer.
func fromRegistry(err error, what string) error {
	var inv *registry.InvalidError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &inv):
		return &Invalid{Fields: inv.Fields}
	case errors.Is(err, registry.ErrNotFound):
		return &opError{kinds: []error{ErrNotFound}, msg: what + " not found", cause: err}
	case errors.Is(err, registry.ErrStale), errors.Is(err, registry.ErrFileManaged),
		errors.Is(err, registry.ErrExists), errors.Is(err, registry.ErrInUse):
		// The registry's messages name the object, the file or the
		// revision, and what to do.
		return conflict(err, "%s", err.Error())
	}
	return err
}
