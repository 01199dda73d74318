// Command lienthong syncs department records into the national database.
// It only wires: the connectors it ships are imported here, and everything
// else is in internal/cli.
package main

import (
	"context"
	"os"

	_ "github.com/lienthong/lienthong/connectors/exec"      // programs speaking the Singer protocol
	_ "github.com/lienthong/lienthong/connectors/file"      // CSV and Excel exports dropped in a folder
	_ "github.com/lienthong/lienthong/connectors/httpjson"  // REST/JSON APIs
	_ "github.com/lienthong/lienthong/connectors/sqlsource" // postgres, mysql and sqlite databases
	"github.com/lienthong/lienthong/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr}))
}
