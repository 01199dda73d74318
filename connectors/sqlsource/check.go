package sqlsource

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/cursortext"
)

// ErrMissingColumn is returned, wrapped, by Check and Read when the stream's primary
// key or cursor names a column the table or query does not have.
var ErrMissingColumn = errors.New("sqlsource: missing column")

// Check connects, runs the stream's relation or query, and verifies what a
// read relies on: the primary key and cursor columns exist, no key is NULL,
// the key is unique and the cursor and key find their row again by their
// text, and the look-back fits the cursor's type.
func (s *Source) Check(ctx context.Context, st connectors.Stream) error {
	if err := s.check(ctx, st); err != nil {
		return fmt.Errorf("check stream %q: %w", st.Name, s.scrub(err))
	}
	return nil
}

func (s *Source) check(ctx context.Context, st connectors.Stream) error {
	p, err := newPlan(s.d, st)
	if err != nil {
		return err
	}
	types, err := s.columnTypes(ctx, p)
	if err != nil {
		return fmt.Errorf("run %s (check its name and the user's SELECT privilege): %w", p.what, err)
	}
	cols := make([]string, len(types))
	for i, t := range types {
		cols[i] = t.Name()
	}
	if err := checkColumns(cols); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidStream, err)
	}
	if err := requireColumns(p, st, cols); err != nil {
		return err
	}
	if err := p.bindTypes(types); err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		var one int
		switch err := tx.QueryRowxContext(ctx, p.nullKeyQuery()).Scan(&one); {
		case err == nil:
			return fmt.Errorf("%w: a row has a NULL in primary key column(s) %s; choose key columns that are never NULL",
				ErrInvalidStream, strings.Join(st.PrimaryKey, ", "))
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("look for NULL keys: %w", err)
		}
		first, ok, err := textRow(ctx, tx, p, p.firstQuery())
		if err != nil || !ok {
			return err
		}
		if err := s.probe(ctx, tx, p, first); err != nil {
			return err
		}
		if p.cursor == nil {
			return nil
		}
		last, ok, err := textRow(ctx, tx, p, p.maxQuery())
		if err != nil || !ok {
			return err
		}
		if err := s.probe(ctx, tx, p, last); err != nil {
			return err
		}
		if p.lookBack != "" {
			if _, err := cursortext.Lower(*last.cursor, p.lookBack); err != nil {
				return fmt.Errorf("%w: look_back: %v", ErrInvalidStream, err)
			}
		}
		return nil
	})
}

// columnTypes runs the stream with no rows, for its columns' names and
// types.
func (s *Source) columnTypes(ctx context.Context, p *plan) ([]*sql.ColumnType, error) {
	var types []*sql.ColumnType
	err := s.inTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		rows, err := tx.QueryxContext(ctx, p.columnsQuery())
		if err != nil {
			return err
		}
		defer rows.Close()
		types, err = rows.ColumnTypes()
		return err
	})
	return types, err
}

// typePlan learns the stream's columns before a read: it checks that the
// primary key and cursor columns exist, and binds the plan to their types
// on the dialect that needs them. It costs one query with LIMIT 0.
func (s *Source) typePlan(ctx context.Context, p *plan, st connectors.Stream) error {
	types, err := s.columnTypes(ctx, p)
	if err != nil {
		return fmt.Errorf("run %s with no rows, for its columns (check its name and the user's SELECT privilege): %w", p.what, err)
	}
	cols := make([]string, len(types))
	for i, t := range types {
		cols[i] = t.Name()
	}
	if err := requireColumns(p, st, cols); err != nil {
		return err
	}
	return p.bindTypes(types)
}

// textRow runs a query that selects the reserved text columns and returns
// its one row, if any.
func textRow(ctx context.Context, tx *sqlx.Tx, p *plan, q string) (row, bool, error) {
	n := len(p.keys)
	if p.cursor != nil {
		n++
	}
	texts := make([]any, n)
	ptrs := make([]any, n)
	for i := range texts {
		ptrs[i] = &texts[i]
	}
	if err := tx.QueryRowxContext(ctx, q).Scan(ptrs...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return row{}, false, nil
		}
		return row{}, false, err
	}
	r, err := p.rowTexts(texts, nil)
	return r, err == nil, err
}
