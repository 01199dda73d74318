package server

import (
	"context"
	"errors"

	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/registry"
)

// clientDepartment is the department a client's token belongs to; empty
// for a portal client.
func clientDepartment(c clients.Client) string { return "" } // TODO(h-ops): c.Department

// errNotBuilt: internal/ops does not have the operation yet.
var errNotBuilt = errors.New("this operation is not built yet")

// The skeleton of internal/ops has no Department nor DeleteDepartment;
// these call them once it has.
type departmentOps interface {
	Department(ctx context.Context, c ops.Caller, name string) (registry.Department, error)
	DeleteDepartment(ctx context.Context, c ops.Caller, name string) error
}

func (s *server) opsDepartment(ctx context.Context, c ops.Caller, name string) (registry.Department, error) {
	if d, ok := any(s.Ops).(departmentOps); ok {
		return d.Department(ctx, c, name)
	}
	return registry.Department{}, errNotBuilt
}

func (s *server) opsDeleteDepartment(ctx context.Context, c ops.Caller, name string) error {
	if d, ok := any(s.Ops).(departmentOps); ok {
		return d.DeleteDepartment(ctx, c, name)
	}
	return errNotBuilt
}
