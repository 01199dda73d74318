package cli

import (
	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/netguard"
)

// setGuard: TODO(h-cli) c.Guard = g once h-runs adds connectors.Config.Guard.
func setGuard(c *connectors.Config, g *netguard.Guard) {}
