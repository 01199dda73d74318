package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/internal/keyring"
)

type sourceRow struct {
	Source
	file     string
	specText string
	cipher   []byte
}

const sourceColumns = `department, name, spec, origin, file, revision, secret_key_id, secret, secret_updated_at, created_at, updated_at`

func (s *Store) scanSource(row interface{ Scan(...any) error }) (sourceRow, error) {
	var r sourceRow
	var name string
	var keyID sql.NullString
	var secretAt, created, updated any
	if err := row.Scan(&r.Department, &name, &r.specText, &r.Origin, &r.file, &r.Revision, &keyID, &r.cipher, &secretAt, &created, &updated); err != nil {
		return r, err
	}
	var err error
	if r.Spec, err = decodeSource(r.specText); err != nil {
		return r, fmt.Errorf("source %s/%s: %w", r.Department, name, err)
	}
	r.Spec.Name = name
	r.Spec.Origin = r.Origin
	if keyID.Valid && len(r.cipher) > 0 {
		r.Secret.Set = true
		r.Secret.KeyID = keyID.String
		r.Spec.Sealed = true
		if r.Secret.UpdatedAt, err = scanTime(secretAt); err != nil {
			return r, err
		}
	}
	if r.CreatedAt, err = mustTime(created); err == nil {
		r.UpdatedAt, err = mustTime(updated)
	}
	return r, err
}

func (s *Store) getSource(ctx context.Context, tx querier, dept, name string) (sourceRow, error) {
	r, err := s.scanSource(tx.QueryRowxContext(ctx, s.q(`SELECT `+sourceColumns+` FROM registry_sources WHERE department = ? AND name = ?`), dept, name))
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFound(fmt.Sprintf("source %s/%s", dept, name))
	}
	if err != nil {
		return r, fmt.Errorf("read source %s/%s: %w", dept, name, err)
	}
	return r, nil
}

// aad binds a source's sealed secret to the source.
func aad(dept, name string) []byte { return []byte("source:" + dept + "/" + name) }

// seal encrypts a source's secret; an empty secret is none.
func (s *Store) seal(dept, name, secret string) (keyID any, ct []byte, err error) {
	if secret == "" {
		return nil, nil, nil
	}
	if s.keys == nil {
		return nil, nil, fmt.Errorf("store the secret of %s/%s: %w", dept, name, keyring.ErrNoKeys)
	}
	id, ct, err := s.keys.Seal([]byte(secret), aad(dept, name))
	if err != nil {
		return nil, nil, fmt.Errorf("seal the secret of %s/%s: %w", dept, name, err)
	}
	return id, ct, nil
}

// CreateSource registers a source through the API (origin "api"), with the
// streams its Spec lists, in one transaction.
func (s *Store) CreateSource(ctx context.Context, a Actor, dept string, in SourceInput) (Source, error) {
	if err := checkName("name", in.Spec.Name); err != nil {
		return Source{}, err
	}
	for i, st := range in.Spec.Streams {
		if err := checkName(fmt.Sprintf("streams[%d].name", i), st.Name); err != nil {
			return Source{}, err
		}
	}
	var out Source
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := s.getDept(ctx, tx, dept); err != nil {
			return err
		}
		if _, err := s.getSource(ctx, tx, dept, in.Spec.Name); err == nil {
			return fmt.Errorf("source %s/%s: %w", dept, in.Spec.Name, ErrExists)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		var secret string
		if in.Secret != nil {
			secret = *in.Secret
		}
		if err := s.insertSource(ctx, tx, dept, in.Spec, OriginAPI, "", secret); err != nil {
			return err
		}
		detail := map[string]any{"kind": in.Spec.Kind}
		if secret != "" {
			detail["secret"] = "set"
		}
		var names []string
		for _, st := range in.Spec.Streams {
			if err := s.insertStream(ctx, tx, dept, in.Spec.Name, st, OriginAPI, ""); err != nil {
				return err
			}
			names = append(names, st.Name)
		}
		if len(names) > 0 {
			detail["streams"] = names
		}
		if err := s.record(ctx, tx, a, dept, "source.create", dept+"/"+in.Spec.Name, detail); err != nil {
			return err
		}
		r, err := s.getSource(ctx, tx, dept, in.Spec.Name)
		out = r.Source
		return err
	})
	return out, err
}

func (s *Store) insertSource(ctx context.Context, tx querier, dept string, spec config.Source, origin, file, secret string) error {
	text, err := encodeSource(spec)
	if err != nil {
		return fmt.Errorf("source %s/%s: %w", dept, spec.Name, err)
	}
	keyID, ct, err := s.seal(dept, spec.Name, secret)
	if err != nil {
		return err
	}
	t := now()
	var secretAt any
	if ct != nil {
		secretAt = s.timeArg(t)
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO registry_sources (kind, `+sourceColumns+`) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)`),
		spec.Kind, dept, spec.Name, text, origin, file, keyID, ct, secretAt, s.timeArg(t), s.timeArg(t))
	if err != nil {
		return insertErr("source "+dept+"/"+spec.Name, err)
	}
	return nil
}

// Source returns a registered source, without its streams.
func (s *Store) Source(ctx context.Context, dept, name string) (Source, error) {
	r, err := s.getSource(ctx, s.db, dept, name)
	return r.Source, err
}

// ListSources returns a department's sources, by name.
func (s *Store) ListSources(ctx context.Context, dept string) ([]Source, error) {
	rows, err := s.listSources(ctx, s.db, dept)
	out := make([]Source, len(rows))
	for i, r := range rows {
		out[i] = r.Source
	}
	return out, err
}

func (s *Store) listSources(ctx context.Context, tx querier, dept string) ([]sourceRow, error) {
	rows, err := tx.QueryxContext(ctx, s.q(`SELECT `+sourceColumns+` FROM registry_sources WHERE department = ? ORDER BY name`), dept)
	if err != nil {
		return nil, fmt.Errorf("list sources of %s: %w", dept, err)
	}
	defer rows.Close()
	var out []sourceRow
	for rows.Next() {
		r, err := s.scanSource(rows)
		if err != nil {
			return nil, fmt.Errorf("list sources of %s: %w", dept, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// changedFields names the top-level JSON fields that differ between two
// stored specs.
func changedFields(before, after string) []string {
	var a, b map[string]json.RawMessage
	json.Unmarshal([]byte(before), &a)
	json.Unmarshal([]byte(after), &b)
	var out []string
	for k, v := range b {
		if string(a[k]) != string(v) {
			out = append(out, k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// UpdateSource replaces a source's spec (its streams are changed apart:
// Spec.Streams is ignored) and, when in.Secret is not nil, its secret.
func (s *Store) UpdateSource(ctx context.Context, a Actor, dept, name string, revision int64, in SourceInput) (Source, error) {
	if in.Spec.Name == "" {
		in.Spec.Name = name
	}
	if in.Spec.Name != name {
		return Source{}, &InvalidError{Fields: []config.FieldError{{Field: "name", Reason: fmt.Sprintf("a source cannot be renamed (%q to %q): register a new source and delete this one", name, in.Spec.Name)}}}
	}
	var out Source
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		r, err := s.getSource(ctx, tx, dept, name)
		if err != nil {
			return err
		}
		if r.Origin == OriginFile {
			return fileManaged(fmt.Sprintf("source %s/%s", dept, name), r.file)
		}
		if r.Revision != revision {
			return fmt.Errorf("source %s/%s is at revision %d, not %d: read it again: %w", dept, name, r.Revision, revision, ErrStale)
		}
		if err := s.updateSource(ctx, tx, a, dept, r, in.Spec, OriginAPI, "", in.Secret, "source.update"); err != nil {
			return err
		}
		r, err = s.getSource(ctx, tx, dept, name)
		out = r.Source
		return err
	})
	return out, err
}

// updateSource writes a source's new spec, origin and secret (nil keeps
// it), bumps its revision and logs the change.
func (s *Store) updateSource(ctx context.Context, tx querier, a Actor, dept string, r sourceRow, spec config.Source, origin, file string, secret *string, action string) error {
	text, err := encodeSource(spec)
	if err != nil {
		return fmt.Errorf("source %s/%s: %w", dept, spec.Name, err)
	}
	detail := map[string]any{}
	if fields := changedFields(r.specText, text); len(fields) > 0 {
		detail["changed"] = fields
	}
	if origin != r.Origin {
		detail["origin"] = origin
	}
	q := `UPDATE registry_sources SET spec = ?, kind = ?, origin = ?, file = ?, revision = revision + 1, updated_at = ?`
	t := now()
	args := []any{text, spec.Kind, origin, file, s.timeArg(t)}
	if secret != nil {
		keyID, ct, err := s.seal(dept, spec.Name, *secret)
		if err != nil {
			return err
		}
		var secretAt any
		if ct != nil {
			secretAt = s.timeArg(t)
		}
		q += `, secret_key_id = ?, secret = ?, secret_updated_at = ?`
		args = append(args, keyID, ct, secretAt)
		switch {
		case ct != nil:
			detail["secret"] = "changed"
		case len(r.cipher) > 0:
			detail["secret"] = "removed"
		}
	}
	// The revision read must still be the row's: a writer that read the
	// same revision and committed first makes this one stale.
	q += ` WHERE department = ? AND name = ? AND revision = ?`
	args = append(args, dept, spec.Name, r.Revision)
	res, err := tx.ExecContext(ctx, s.q(q), args...)
	if err != nil {
		return fmt.Errorf("update source %s/%s: %w", dept, spec.Name, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("source %s/%s changed while it was being updated: read it again: %w", dept, spec.Name, ErrStale)
	}
	return s.record(ctx, tx, a, dept, action, dept+"/"+spec.Name, detail)
}

// DeleteSource removes a source and its streams and mapping versions from
// the registry; the ledger, rejects and national records stay.
func (s *Store) DeleteSource(ctx context.Context, a Actor, dept, name string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		r, err := s.getSource(ctx, tx, dept, name)
		if err != nil {
			return err
		}
		if r.Origin == OriginFile {
			return fileManaged(fmt.Sprintf("source %s/%s", dept, name), r.file)
		}
		if err := s.deleteSource(ctx, tx, dept, name); err != nil {
			return err
		}
		return s.record(ctx, tx, a, dept, "source.delete", dept+"/"+name, nil)
	})
}

func (s *Store) deleteSource(ctx context.Context, tx querier, dept, name string) error {
	for _, q := range []string{
		`DELETE FROM registry_mappings WHERE department = ? AND source = ?`,
		`DELETE FROM registry_streams WHERE department = ? AND source = ?`,
		`DELETE FROM registry_sources WHERE department = ? AND name = ?`,
	} {
		if _, err := tx.ExecContext(ctx, s.q(q), dept, name); err != nil {
			return fmt.Errorf("delete source %s/%s: %w", dept, name, err)
		}
	}
	return nil
}

// SourceSecret opens a source's secret, for the run or check that opens
// the source. Never log or return it. A source without a secret is an
// error: a caller asks only for sources marked Sealed.
func (s *Store) SourceSecret(ctx context.Context, dept, name string) (string, error) {
	r, err := s.getSource(ctx, s.db, dept, name)
	if err != nil {
		return "", err
	}
	if !r.Secret.Set {
		return "", fmt.Errorf("source %s/%s has no registered secret: register one with the source's secret field", dept, name)
	}
	if s.keys == nil {
		return "", fmt.Errorf("open the secret of %s/%s: %w", dept, name, keyring.ErrNoKeys)
	}
	b, err := s.keys.Open(r.Secret.KeyID, r.cipher, aad(dept, name))
	if err != nil {
		return "", fmt.Errorf("open the secret of %s/%s: %w", dept, name, err)
	}
	return string(b), nil
}

// RotateSecrets re-seals every secret not sealed under the ring's primary
// key and returns how many it re-sealed. It runs in one transaction: a
// secret it cannot open (its key is missing) stops it with nothing
// changed.
func (s *Store) RotateSecrets(ctx context.Context, a Actor) (int, error) {
	if s.keys == nil {
		return 0, fmt.Errorf("rotate secrets: %w", keyring.ErrNoKeys)
	}
	primary := s.keys.Primary()
	n := 0
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		type old struct {
			dept, name, keyID string
			ct                []byte
		}
		var olds []old
		rows, err := tx.QueryxContext(ctx, s.q(`SELECT department, name, secret_key_id, secret FROM registry_sources WHERE secret IS NOT NULL AND secret_key_id <> ? ORDER BY department, name`), primary)
		if err != nil {
			return fmt.Errorf("rotate secrets: %w", err)
		}
		for rows.Next() {
			var o old
			if err := rows.Scan(&o.dept, &o.name, &o.keyID, &o.ct); err != nil {
				rows.Close()
				return fmt.Errorf("rotate secrets: %w", err)
			}
			olds = append(olds, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, o := range olds {
			plain, err := s.keys.Open(o.keyID, o.ct, aad(o.dept, o.name))
			if err != nil {
				return fmt.Errorf("rotate the secret of %s/%s: %w", o.dept, o.name, err)
			}
			id, ct, err := s.keys.Seal(plain, aad(o.dept, o.name))
			if err != nil {
				return fmt.Errorf("rotate the secret of %s/%s: %w", o.dept, o.name, err)
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE registry_sources SET secret_key_id = ?, secret = ? WHERE department = ? AND name = ?`), id, ct, o.dept, o.name); err != nil {
				return fmt.Errorf("rotate the secret of %s/%s: %w", o.dept, o.name, err)
			}
			if err := s.record(ctx, tx, a, o.dept, "secret.rotate", o.dept+"/"+o.name, map[string]string{"from_key": o.keyID, "to_key": id}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
