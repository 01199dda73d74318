package server

import (
	"context"
	"fmt"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/national"
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
