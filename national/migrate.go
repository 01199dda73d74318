package national

import (
	"context"
	"embed"
	"fmt"

	"github.com/lienthong/lienthong/internal/database"
)

// migrations holds the versioned schema of the store, one directory per
// dialect.
//
//go:embed migrations
var migrations embed.FS

func migrate(ctx context.Context, db *database.DB) (int, error) {
	ms, err := database.LoadMigrations(migrations, "migrations", db.Dialect)
	if err != nil {
		return 0, fmt.Errorf("migrate national store: %w", err)
	}
	n, err := db.Migrate(ctx, "national", ms)
	if err != nil {
		return n, fmt.Errorf("migrate national store: %w", err)
	}
	return n, nil
}
