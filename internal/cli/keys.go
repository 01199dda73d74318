package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/internal/keyring"
	"github.com/lienthong/lienthong/registry"
)

// runKeys is lienthong keys: the keys that seal the secrets departments
// register. generate prints a new key line for the key file; rotate
// re-seals every secret under the first (primary) key of the ring, after
// which the old key can be removed from the file.
func runKeys(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || (args[0] != "generate" && args[0] != "rotate") {
		return usageError{errors.New("say what to do: lienthong keys generate | lienthong keys rotate")}
	}
	sub, args := args[0], args[1:]
	fs, cfgPath := flags("keys "+sub, env)
	if err := parse(fs, args); err != nil {
		return err
	}
	if sub == "generate" {
		line, err := keyring.Generate()
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, line)
		return nil
	}
	ring, err := keyring.Load(env.Getenv)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, env, config.WithoutSourceSecrets())
	if err != nil {
		return err
	}
	a, err := openStores(ctx, cfg, env, false)
	if err != nil {
		return err
	}
	defer a.close()
	n, err := a.reg.RotateSecrets(ctx, registry.Actor{Name: "keys rotate"})
	if err != nil {
		return fmt.Errorf("rotate: %w", err)
	}
	fmt.Fprintf(env.Stdout, "re-sealed %d secret(s) under key %s; every secret is now sealed under it\n", n, ring.Primary())
	return nil
}
