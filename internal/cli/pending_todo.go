package cli

import (
	"context"
	"errors"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/netguard"
	"github.com/lienthong/lienthong/registry"
)

// TODO(h-cli): the registry's own dry run, if h-registry adds one.
func applyDryRun(ctx context.Context, reg *registry.Store, a registry.Actor, depts []config.Department, read func(string) ([]byte, error)) (registry.ApplyReport, error) {
	return registry.ApplyReport{}, errors.New("pending registry dry run")
}

// setGuard: TODO(h-cli) c.Guard = g once h-runs adds connectors.Config.Guard.
func setGuard(c *connectors.Config, g *netguard.Guard) {}
