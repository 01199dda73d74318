package server

import (
	"context"
	"fmt"

	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// StoreChecks returns the readiness checks of the stores, to put in
// Options.Ready beside the scheduler's: each store answers, and each has
// every migration this binary knows (a replica of a newer version must not
// serve on an older schema). natDB is the national store's database.
func StoreChecks(natDB *database.DB, st *state.Store) map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"national_store": func(ctx context.Context) error {
			if err := natDB.PingContext(ctx); err != nil {
				return fmt.Errorf("national store unreachable: %w", err)
			}
			return nil
		},
		"state_store": st.Ping,
		"migrations": func(ctx context.Context) error {
			n, err := national.Pending(ctx, natDB)
			if err != nil {
				return err
			}
			m, err := st.Pending(ctx)
			if err != nil {
				return err
			}
			if n+m > 0 {
				return fmt.Errorf("%d national and %d state migrations pending: run lienthong migrate", n, m)
			}
			return nil
		},
	}
}

// RegistryChecks returns the readiness check of the registry and the
// client register, to put in Options.Ready beside StoreChecks': both live
// in the state store, and a replica must not serve registrations or
// tokens on a schema older than it knows.
func RegistryChecks(reg *registry.Store, cl *clients.Store) map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"registry_migrations": func(ctx context.Context) error {
			r, err := reg.Pending(ctx)
			if err != nil {
				return err
			}
			c, err := cl.Pending(ctx)
			if err != nil {
				return err
			}
			if r+c > 0 {
				return fmt.Errorf("%d registry and %d client register migrations pending: run lienthong migrate", r, c)
			}
			return nil
		},
	}
}
