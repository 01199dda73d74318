package national

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// pgAnonymise turns a deleted record past its retention into a tombstone.
// The tombstone says that the stream's source record (department, source,
// stream, source key) delivered a record of this kind under this mapping
// version, with this content hash, from first_synced_at to deleted_at, and
// when it was anonymised. What says who the record was about goes:
//
//   - the record itself goes: every field's column becomes NULL (on
//     SQLite, data becomes {});
//   - natural_key becomes "anonymised:" and 32 random hex digits. Natural
//     keys are personal data: an ID number, a health-insurance card number,
//     a certificate number that leads to one person. A hash would not do:
//     a 12-digit ID number whose first six digits are a province, a sex and
//     a year of birth is found again from its hash by trying the million
//     numbers left. A random key keeps the primary key unique and matches
//     no natural key, so Write, Get and Prefill never find the tombstone,
//     and a record that comes back to the source is inserted anew.
//
// The content hash stays: it confirms a record only to someone who holds
// the whole record already, and says whether the source's record was the
// same one. The source key stays as the provenance a department can trace
// in its own system.
//
// Records not yet past their retention, live records and records already
// anonymised are left alone, so a pass can be repeated.
var pgAnonymise = `
UPDATE national_records
SET ` + func() string {
	var b strings.Builder
	for _, c := range fieldColumns {
		b.WriteString(c.name + " = NULL,\n    ")
	}
	return b.String()
}() + `natural_key = 'anonymised:' || replace(gen_random_uuid()::text, '-', ''),
    anonymised_at = now()
WHERE department = $1 AND source = $2 AND stream = $3
  AND deleted_at IS NOT NULL AND anonymised_at IS NULL AND deleted_at < $4`

func (s *pgStore) Anonymise(ctx context.Context, department, source, stream string, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, pgAnonymise, department, source, stream, before)
	if err != nil {
		return 0, fmt.Errorf("anonymise deleted records of %s/%s/%s: %w", department, source, stream, err)
	}
	return res.RowsAffected()
}

// sqliteAnonymise is pgAnonymise on SQLite, whose times are fixed-width
// text and compare as they sort.
const sqliteAnonymise = `
UPDATE national_records
SET data = '{}',
    natural_key = 'anonymised:' || lower(hex(randomblob(16))),
    anonymised_at = ?
WHERE department = ? AND source = ? AND stream = ?
  AND deleted_at IS NOT NULL AND anonymised_at IS NULL AND deleted_at < ?`

func (s *sqliteStore) Anonymise(ctx context.Context, department, source, stream string, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, sqliteAnonymise, sqliteNow(), department, source, stream, before.UTC().Format(sqliteTime))
	if err != nil {
		return 0, fmt.Errorf("anonymise deleted records of %s/%s/%s: %w", department, source, stream, err)
	}
	return res.RowsAffected()
}
