package bench

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os/exec"
	"time"

	"github.com/lienthong/lienthong/national"
)

// The reference paths are what a DBA would write by hand: pipe the
// department table out of one server with COPY and into the other, then
// one INSERT ... SELECT applying the mapping's transforms and checks in SQL.
// They do less than lienthong (no rejects saved with their reasons, no run
// ledger, no checkpoint, the date and ID checks only as far as a regular
// expression goes), which is why they are the yardstick.

// prepareReference makes the reference database's tables: the raw copy
// target (no index), the staging table (unlogged, as a DBA's would be), the
// typed table with one column per field of the mapping, and lienthong's own
// national_records through its migrations.
func (b *bencher) prepareReference(ctx context.Context, dsn string) error {
	store, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := national.New(store).Migrate(ctx); err != nil {
		return err
	}
	for _, q := range []string{
		createSource,
		`ALTER TABLE khai_sinh RENAME TO raw_copy`,
		`ALTER TABLE raw_copy DROP CONSTRAINT khai_sinh_pkey`,
		`CREATE UNLOGGED TABLE stage (LIKE raw_copy)`,
		createTyped,
	} {
		if _, err := store.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

const createTyped = `CREATE TABLE birth_registration (
	registering_agency text NOT NULL,
	certificate_number text NOT NULL,
	registration_date  date NOT NULL,
	full_name          text NOT NULL,
	date_of_birth      date NOT NULL,
	sex                text NOT NULL,
	id_number          text,
	place_of_birth     text,
	native_place       text,
	ethnicity          text,
	nationality        text,
	mother_full_name   text,
	mother_id_number   text,
	father_full_name   text,
	father_id_number   text,
	source_key         text NOT NULL,
	PRIMARY KEY (registering_agency, certificate_number))`

// mapped is the mapping of examples/mappings/khai-sinh.yaml in SQL, with
// the checks a regular expression can make.
const mapped = `
WITH m AS (
	SELECT regexp_replace(trim(co_quan_dang_ky), '\s+', ' ', 'g') AS registering_agency,
	       trim(so_dang_ky) AS certificate_number,
	       to_date(ngay_dang_ky, 'DD/MM/YYYY') AS registration_date,
	       regexp_replace(trim(ho_ten), '\s+', ' ', 'g') AS full_name,
	       to_date(ngay_sinh, 'DD/MM/YYYY') AS date_of_birth,
	       CASE lower(trim(gioi_tinh)) WHEN 'nam' THEN 'M' WHEN 'nữ' THEN 'F' END AS sex,
	       trim(so_dinh_danh) AS id_number,
	       regexp_replace(trim(noi_sinh), '\s+', ' ', 'g') AS place_of_birth,
	       regexp_replace(trim(que_quan), '\s+', ' ', 'g') AS native_place,
	       coalesce(nullif(regexp_replace(trim(dan_toc), '\s+', ' ', 'g'), ''), 'Kinh') AS ethnicity,
	       coalesce(nullif(regexp_replace(trim(quoc_tich), '\s+', ' ', 'g'), ''), 'Việt Nam') AS nationality,
	       regexp_replace(trim(ho_ten_me), '\s+', ' ', 'g') AS mother_full_name,
	       trim(so_dinh_danh_me) AS mother_id_number,
	       regexp_replace(trim(ho_ten_cha), '\s+', ' ', 'g') AS father_full_name,
	       trim(so_dinh_danh_cha) AS father_id_number,
	       id::text AS source_key
	FROM stage
	WHERE upper(trim(so_dang_ky)) NOT LIKE 'TEST%'
), v AS (
	SELECT * FROM m
	WHERE certificate_number ~ '^[0-9]+/[0-9]{4}$' AND full_name <> '' AND sex IS NOT NULL
	  AND id_number ~ '^[0-9]{12}$'
	  AND (substr(id_number, 4, 1)::int % 2 = 0) = (sex = 'M')
	  AND substr(id_number, 5, 2) = to_char(date_of_birth, 'YY')
	  AND registration_date >= date_of_birth
)`

const typedUpsert = mapped + `
INSERT INTO birth_registration AS t
SELECT * FROM v
ON CONFLICT (registering_agency, certificate_number) DO UPDATE SET
	registration_date = excluded.registration_date, full_name = excluded.full_name,
	date_of_birth = excluded.date_of_birth, sex = excluded.sex, id_number = excluded.id_number,
	place_of_birth = excluded.place_of_birth, native_place = excluded.native_place,
	ethnicity = excluded.ethnicity, nationality = excluded.nationality,
	mother_full_name = excluded.mother_full_name, mother_id_number = excluded.mother_id_number,
	father_full_name = excluded.father_full_name, father_id_number = excluded.father_id_number,
	source_key = excluded.source_key
WHERE (t.registration_date, t.full_name, t.date_of_birth, t.sex, t.id_number, t.place_of_birth, t.native_place,
       t.ethnicity, t.nationality, t.mother_full_name, t.mother_id_number, t.father_full_name, t.father_id_number, t.source_key)
   IS DISTINCT FROM
      (excluded.registration_date, excluded.full_name, excluded.date_of_birth, excluded.sex, excluded.id_number,
       excluded.place_of_birth, excluded.native_place, excluded.ethnicity, excluded.nationality,
       excluded.mother_full_name, excluded.mother_id_number, excluded.father_full_name, excluded.father_id_number,
       excluded.source_key)`

// ownUpsert writes into lienthong's national_records: the record's fields
// in their typed columns, the SHA-256 of its JSON, the provenance, the
// table's indexes; an update only where the hash differs. ownPrefiltered
// adds a NOT EXISTS on the hash, so that nothing changed writes nothing.
// (On an empty table the planner serves that NOT EXISTS from the primary
// key on kind alone and rescans the rows the statement inserts: quadratic.
// So the first load goes without.)
const ownUpsert = mapped + ownInsert + ownConflict

const ownPrefiltered = mapped + ownInsert + `
WHERE NOT EXISTS (SELECT 1 FROM national_records x
                  WHERE x.kind = 'birth_registration' AND x.natural_key = h.natural_key AND x.content_hash = h.content_hash)` + ownConflict

// ownFields are the mapping's fields, national_records' columns for them.
const ownFields = `registering_agency, certificate_number, registration_date, full_name, date_of_birth, sex, id_number,
	place_of_birth, native_place, ethnicity, nationality, mother_full_name, mother_id_number, father_full_name,
	father_id_number`

const ownInsert = `, h AS MATERIALIZED (
	SELECT v.*, v.registering_agency || '|' || v.certificate_number AS natural_key,
	       sha256(convert_to(jsonb_build_object('registering_agency', registering_agency, 'certificate_number', certificate_number,
	           'registration_date', registration_date, 'full_name', full_name, 'date_of_birth', date_of_birth,
	           'sex', sex, 'id_number', id_number, 'place_of_birth', place_of_birth, 'native_place', native_place,
	           'ethnicity', ethnicity, 'nationality', nationality, 'mother_full_name', mother_full_name,
	           'mother_id_number', mother_id_number, 'father_full_name', father_full_name,
	           'father_id_number', father_id_number)::text, 'UTF8')) AS content_hash
	FROM v
)
INSERT INTO national_records AS r (kind, natural_key, content_hash, department, source, stream, source_key,
	mapping_version, first_synced_at, last_synced_at, last_run_id, seen_generation, ` + ownFields + `)
SELECT 'birth_registration', h.natural_key, h.content_hash, 'tu-phap', 'ho-tich', 'khai-sinh', h.source_key,
       '` + mappingVersionName + `', now(), now(), 1, 0,
       registering_agency, certificate_number, registration_date, full_name, date_of_birth::text, sex, id_number,
       place_of_birth, native_place, ethnicity, nationality, mother_full_name, mother_id_number, father_full_name,
       father_id_number
FROM h`

const ownConflict = `
ON CONFLICT (kind, natural_key) DO UPDATE SET content_hash = excluded.content_hash,
	source_key = excluded.source_key, last_synced_at = excluded.last_synced_at, deleted_at = NULL,
	registration_date = excluded.registration_date, full_name = excluded.full_name,
	date_of_birth = excluded.date_of_birth, sex = excluded.sex, id_number = excluded.id_number,
	place_of_birth = excluded.place_of_birth, native_place = excluded.native_place,
	ethnicity = excluded.ethnicity, nationality = excluded.nationality,
	mother_full_name = excluded.mother_full_name, mother_id_number = excluded.mother_id_number,
	father_full_name = excluded.father_full_name, father_id_number = excluded.father_id_number
WHERE r.content_hash <> excluded.content_hash OR r.deleted_at IS NOT NULL`

// reference pipes the department table into table into with psql's COPY,
// then runs upsert (if any) in the reference database, and times both.
func (b *bencher) reference(ctx context.Context, dsn, into, upsert string) (Result, error) {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return Result{}, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `TRUNCATE `+into); err != nil {
		return Result{}, err
	}
	t0 := time.Now()
	if err := copyPipe(ctx, b.srcDSN, "khai_sinh", dsn, into); err != nil {
		return Result{}, err
	}
	var rows, written int64
	if upsert != "" {
		res, err := db.ExecContext(ctx, upsert)
		if err != nil {
			return Result{}, err
		}
		if written, err = res.RowsAffected(); err != nil {
			return Result{}, err
		}
	}
	secs := time.Since(t0).Seconds()
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+into).Scan(&rows); err != nil {
		return Result{}, err
	}
	return Result{Rows: rows, Seconds: secs, Written: written}, nil
}

// copyPipe pipes table from through psql's COPY TO STDOUT into table into
// with COPY FROM STDIN, as a DBA would move rows between servers.
func copyPipe(ctx context.Context, fromDSN, from, toDSN, into string) error {
	out := exec.CommandContext(ctx, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", fromDSN, "-c", `COPY `+from+` TO STDOUT`)
	in := exec.CommandContext(ctx, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", toDSN, "-c", `COPY `+into+` FROM STDIN`)
	pipe, err := out.StdoutPipe()
	if err != nil {
		return err
	}
	in.Stdin = pipe
	var outErr, inErr bytes.Buffer
	out.Stderr, in.Stderr = &outErr, &inErr
	if err := out.Start(); err != nil {
		return err
	}
	if err := in.Run(); err != nil {
		out.Wait()
		return fmt.Errorf("psql COPY FROM STDIN: %w: %s", err, inErr.String())
	}
	if err := out.Wait(); err != nil {
		return fmt.Errorf("psql COPY TO STDOUT: %w: %s", err, outErr.String())
	}
	return nil
}

// floor copies the national rows a lienthong path wrote back into an
// emptied national_records, with its indexes, and times it: the server's
// cost of storing those rows with nothing else to do, no client, no
// lookup, no state store. No path that writes them can be faster on the
// same server.
func (b *bencher) floor(ctx context.Context, nat string) (Result, error) {
	db, err := sql.Open("postgres", nat)
	if err != nil {
		return Result{}, err
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE UNLOGGED TABLE lt_bench_floor AS SELECT * FROM national_records`,
		`TRUNCATE national_records`,
		`CHECKPOINT`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return Result{}, fmt.Errorf("%s: %w", q, err)
		}
	}
	t0 := time.Now()
	if err := copyPipe(ctx, nat, "lt_bench_floor", nat, "national_records"); err != nil {
		return Result{}, err
	}
	secs := time.Since(t0).Seconds()
	var rows int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM national_records`).Scan(&rows); err != nil {
		return Result{}, err
	}
	return Result{Path: PathFloor, Rows: rows, Seconds: secs, Written: rows}, nil
}
