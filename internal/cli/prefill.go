package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/forms"
	"github.com/lienthong/lienthong/server"
)

// Where serve reads the administrator's token from: the variable itself,
// or a file it names (a mounted secret). The token is hashed at start-up
// and never logged.
const (
	adminTokenEnv     = "LIENTHONG_ADMIN_TOKEN"
	adminTokenFileEnv = "LIENTHONG_ADMIN_TOKEN_FILE"
)

// prefillFlags are serve's flags for the pre-fill routes.
type prefillFlags struct {
	forms *string
}

func addPrefillFlags(fs *flag.FlagSet) prefillFlags {
	return prefillFlags{forms: fs.String("forms", "", "load the pre-fill forms from the *.yaml files in this `directory` (default: the forms shipped with lienthong)")}
}

// loadForms returns the forms of dir, or the shipped ones.
func loadForms(dir string) (*forms.Set, error) {
	if dir == "" {
		return forms.Builtin(), nil
	}
	return forms.Load(dir)
}

// access builds what the pre-fill and audit routes need, on the app's
// state store.
func (a *app) access(f prefillFlags, env Env) (server.Access, error) {
	set, err := loadForms(*f.forms)
	if err != nil {
		return server.Access{}, err
	}
	acc := server.Access{Forms: set, Audit: a.audit, Clients: a.clients}
	a.audit.Log = a.log // checkpoints go to the service's log
	tok := env.Getenv(adminTokenEnv)
	if file := env.Getenv(adminTokenFileEnv); file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return server.Access{}, fmt.Errorf("read the administrator token from $%s: %w", adminTokenFileEnv, err)
		}
		tok = strings.TrimSpace(string(b))
	}
	if tok != "" {
		if len(tok) < 32 {
			return server.Access{}, fmt.Errorf("the administrator token ($%s or $%s) is shorter than 32 characters; make one with: head -c 32 /dev/urandom | base64", adminTokenEnv, adminTokenFileEnv)
		}
		h := clients.HashToken(tok)
		acc.AdminTokenHash = &h
	}
	return acc, nil
}

// runClients is lienthong clients: the API's token holders.
func runClients(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usageError{errors.New("say what to do: lienthong clients add|list|revoke")}
	}
	sub, args := args[0], args[1:]
	fs, cfgPath := flags("clients "+sub, env)
	var (
		name    = fs.String("name", "", "the client's `name` (add)")
		scopes  = fs.String("scope", "", "comma-separated `scopes` (add): "+strings.Join(clients.Scopes, ", "))
		formsF  = fs.String("forms", "", "comma-separated `forms` the client may fill (add; default: every form)")
		expires = fs.Duration("expires", 0, "the token stops working after this `duration` (add; default: never)")
	)
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := openCLIApp(ctx, *cfgPath, env)
	if err != nil {
		return err
	}
	defer a.close()
	switch sub {
	case "add":
		nc := clients.NewClient{Name: *name, Scopes: splitList(*scopes), Forms: splitList(*formsF)}
		if *expires > 0 {
			nc.ExpiresAt = time.Now().Add(*expires)
		}
		set := forms.Builtin()
		for _, f := range nc.Forms {
			if _, ok := set.Get(f); !ok {
				fmt.Fprintf(env.Stderr, "lienthong clients add: note: %q is not a shipped form; it must be among serve --forms\n", f)
			}
		}
		c, tok, err := a.clients.Add(ctx, nc)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "client %s added (scopes: %s). Its token follows; it is shown only now, keep it in the portal's secret store:\n",
			c.Name, strings.Join(c.Scopes, ", "))
		fmt.Fprintln(env.Stdout, tok)
		return nil
	case "list":
		list, err := a.clients.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSCOPES\tFORMS\tCREATED\tEXPIRES\tREVOKED")
		for _, c := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Name, strings.Join(c.Scopes, ","), orAll(c.Forms),
				c.CreatedAt.Format(time.DateTime), timeOr(c.ExpiresAt, "never"), timeOr(c.RevokedAt, "-"))
		}
		return tw.Flush()
	case "revoke":
		target := *name
		if target == "" && fs.NArg() == 1 {
			target = fs.Arg(0)
		}
		if target == "" {
			return usageError{errors.New("say which client: lienthong clients revoke NAME")}
		}
		if err := a.clients.Revoke(ctx, target); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "client %s revoked; its token no longer works\n", target)
		return nil
	}
	return usageError{fmt.Errorf("unknown clients command %q: use add, list or revoke", sub)}
}

// runAudit is lienthong audit verify: walks the audit chain.
func runAudit(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError{errors.New("say what to do: lienthong audit verify")}
	}
	fs, cfgPath := flags("audit verify", env)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	a, err := openCLIApp(ctx, *cfgPath, env)
	if err != nil {
		return err
	}
	defer a.close()
	rep, err := a.audit.Verify(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "audit chain intact: %d entries, %d checkpoints, head %x\n", rep.Entries, rep.Checkpoints, rep.Head)
	return nil
}

// openCLIApp opens the stores without the sources' secrets and applies
// nothing to the registry: these commands read no department.
func openCLIApp(ctx context.Context, path string, env Env) (*app, error) {
	cfg, err := loadConfig(path, env, config.WithoutSourceSecrets())
	if err != nil {
		return nil, err
	}
	return openStores(ctx, cfg, env, false)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func orAll(forms []string) string {
	if len(forms) == 0 {
		return "(all)"
	}
	return strings.Join(forms, ",")
}

func timeOr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.Format(time.DateTime)
}

// demoServe serves the demo online forms on the demo's stores until ctx
// ends (SIGINT or SIGTERM), after printing where.
func demoServe(ctx context.Context, a *app, out io.Writer, listen, citizen string) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (give another --listen)", listen, err)
	}
	srv := server.HTTPServer(listen, server.New(server.Options{
		State: a.state, National: a.national, Gatherer: a.registry, Log: a.log,
		Access: server.Access{Forms: forms.Builtin(), Audit: a.audit, Clients: a.clients, DemoForms: true},
	}))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(out, "\n== The online forms, pre-filled (Ctrl-C stops)\n")
	fmt.Fprintf(out, "  forms:   %s/forms/\n", base)
	for _, f := range forms.Builtin().List() {
		fmt.Fprintf(out, "  %s: %s/forms/%s?id_number=%s\n", f.Name, base, f.Name, citizen)
	}
	fmt.Fprintf(out, "  every read is in the audit log: lienthong audit verify --config %s\n", a.cfg.Path)
	select {
	case <-ctx.Done():
	case err := <-done:
		return err
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
