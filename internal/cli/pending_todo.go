package cli

import (
	"context"
	"errors"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/netguard"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/schedule"
	"github.com/lienthong/lienthong/sync/state"
)

// TODO(h-cli): replace these with h-registry's config.ResolveSecret and
// the registry's dry run once merged.
var resolveSecret = func(src *config.Source, getenv func(string) string) error {
	return errors.New("pending config.ResolveSecret")
}

func applyDryRun(ctx context.Context, reg *registry.Store, a registry.Actor, depts []config.Department, read func(string) ([]byte, error)) (registry.ApplyReport, error) {
	return registry.ApplyReport{}, errors.New("pending registry dry run")
}

// setGuard: TODO(h-cli) c.Guard = g once h-runs adds connectors.Config.Guard.
func setGuard(c *connectors.Config, g *netguard.Guard) {}

// TODO(h-cli): s.Trigger(ctx, ref, by) once h-runs adds it.
func schedTrigger(ctx context.Context, s *schedule.Scheduler, ref state.Ref, by string) (int64, error) {
	return 0, errors.New("pending Scheduler.Trigger")
}

// TODO(h-cli): st.RequestCancel once h-runs adds it.
func requestCancel(ctx context.Context, st *state.Store, id int64, by string) error {
	return errors.New("pending state.Store.RequestCancel")
}
