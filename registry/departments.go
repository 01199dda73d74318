package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

type deptRow struct {
	Department
	file string
}

func (s *Store) getDept(ctx context.Context, tx querier, name string) (deptRow, error) {
	var r deptRow
	var created, updated any
	err := tx.QueryRowxContext(ctx, s.q(`SELECT name, title, origin, file, created_at, updated_at FROM registry_departments WHERE name = ?`), name).
		Scan(&r.Name, &r.Title, &r.Origin, &r.file, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFound(fmt.Sprintf("department %q", name))
	}
	if err != nil {
		return r, fmt.Errorf("read department %s: %w", name, err)
	}
	if r.CreatedAt, err = mustTime(created); err == nil {
		r.UpdatedAt, err = mustTime(updated)
	}
	return r, err
}

// CreateDepartment registers a department through the API (origin "api").
func (s *Store) CreateDepartment(ctx context.Context, a Actor, d Department) (Department, error) {
	if err := checkName("name", d.Name); err != nil {
		return Department{}, err
	}
	t := now()
	d.Origin, d.CreatedAt, d.UpdatedAt = OriginAPI, t, t
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := s.getDept(ctx, tx, d.Name); err == nil {
			return fmt.Errorf("department %q: %w", d.Name, ErrExists)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := s.insertDept(ctx, tx, d, ""); err != nil {
			return err
		}
		return s.record(ctx, tx, a, d.Name, "department.create", d.Name, map[string]any{"title": d.Title})
	})
	if err != nil {
		return Department{}, err
	}
	return d, nil
}

func (s *Store) insertDept(ctx context.Context, tx querier, d Department, file string) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO registry_departments (name, title, origin, file, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`),
		d.Name, d.Title, d.Origin, file, s.timeArg(d.CreatedAt), s.timeArg(d.UpdatedAt))
	if err != nil {
		return insertErr("department "+d.Name, err)
	}
	return nil
}

// Department returns a registered department.
func (s *Store) Department(ctx context.Context, name string) (Department, error) {
	r, err := s.getDept(ctx, s.db, name)
	return r.Department, err
}

// ListDepartments returns every department, by name.
func (s *Store) ListDepartments(ctx context.Context) ([]Department, error) {
	rows, err := s.db.QueryxContext(ctx, `SELECT name, title, origin, created_at, updated_at FROM registry_departments ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	defer rows.Close()
	var out []Department
	for rows.Next() {
		var d Department
		var created, updated any
		if err := rows.Scan(&d.Name, &d.Title, &d.Origin, &created, &updated); err != nil {
			return nil, fmt.Errorf("list departments: %w", err)
		}
		if d.CreatedAt, err = mustTime(created); err == nil {
			d.UpdatedAt, err = mustTime(updated)
		}
		if err != nil {
			return nil, fmt.Errorf("list departments: %s: %w", d.Name, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeleteDepartment removes a department without sources (ErrInUse).
func (s *Store) DeleteDepartment(ctx context.Context, a Actor, name string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		d, err := s.getDept(ctx, tx, name)
		if err != nil {
			return err
		}
		if d.Origin == OriginFile {
			return fileManaged(fmt.Sprintf("department %q", name), d.file)
		}
		var n int
		if err := tx.QueryRowxContext(ctx, s.q(`SELECT count(*) FROM registry_sources WHERE department = ?`), name).Scan(&n); err != nil {
			return fmt.Errorf("delete department %s: %w", name, err)
		}
		if n > 0 {
			return fmt.Errorf("department %q still has %d source(s): delete them first: %w", name, n, ErrInUse)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM registry_departments WHERE name = ?`), name); err != nil {
			return fmt.Errorf("delete department %s: %w", name, err)
		}
		return s.record(ctx, tx, a, name, "department.delete", name, nil)
	})
}
