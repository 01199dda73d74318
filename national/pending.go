package national

import (
	"context"
	"fmt"

	"github.com/lienthong/lienthong/internal/database"
)

// Pending returns how many of the national store's migrations db has not
// applied, for readiness probes; it applies none.
func Pending(ctx context.Context, db *database.DB) (int, error) {
	ms, err := database.LoadMigrations(migrations, "migrations", db.Dialect)
	if err != nil {
		return 0, fmt.Errorf("national store migrations: %w", err)
	}
	return db.Pending(ctx, "national", ms)
}
