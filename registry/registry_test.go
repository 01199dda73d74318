package registry_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/keyring"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/registry"
)

var admin = registry.Actor{Name: "admin"}

func ring(t *testing.T, ids ...string) *keyring.Ring {
	t.Helper()
	var lines []string
	for _, id := range ids {
		lines = append(lines, id+":"+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte(id[len(id)-1:]), 32)))
	}
	r, err := keyring.Parse(strings.Join(lines, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// each runs f on a fresh registry on PostgreSQL and on SQLite.
func each(t *testing.T, f func(t *testing.T, db *database.DB, s *registry.Store)) {
	for _, d := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{"postgres", testdb.Postgres}, {"sqlite", testdb.SQLite}} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, err := database.Open(ctx, d.dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			s := registry.New(db, ring(t, "k1"))
			if n, err := s.Migrate(ctx); err != nil || n != 1 {
				t.Fatalf("migrate: %d %v", n, err)
			}
			if n, err := s.Pending(ctx); err != nil || n != 0 {
				t.Fatalf("pending: %d %v", n, err)
			}
			f(t, db, s)
		})
	}
}

func sourceSpec() config.Source {
	return config.Source{
		Name: "hotich", Kind: "postgres", Timeout: 90 * time.Second,
		Options: map[string]any{"schema": "public", "ssl": true, "nested": map[string]any{"a": "1"}},
	}
}

func streamSpec(name string) config.Stream {
	return config.Stream{
		Name: name, Table: "khai_sinh", PrimaryKey: []string{"id"}, Cursor: "updated_at", Mode: "incremental",
		LookBack: "10m", Kind: "birth_registration", PageSize: 5000, MaxDeleteRatio: 0.1,
		RetryTransientFor: 5 * time.Minute, Batch: &config.Batch{Size: 100, Period: 2 * time.Second},
		Schedule: "@every 10m", TimeZone: "Asia/Ho_Chi_Minh", Timeout: time.Hour, MaxRuntime: 2 * time.Hour,
	}
}

func TestCRUD(t *testing.T) {
	each(t, func(t *testing.T, db *database.DB, s *registry.Store) {
		ctx := context.Background()
		dept := registry.Actor{Name: "tp-officer", Department: "tuphap"}
		if _, err := s.CreateDepartment(ctx, admin, registry.Department{Name: "Tư pháp"}); !isInvalid(err, "name") {
			t.Errorf("bad name: %v", err)
		}
		d, err := s.CreateDepartment(ctx, admin, registry.Department{Name: "tuphap", Title: "Sở Tư pháp"})
		if err != nil || d.Origin != registry.OriginAPI {
			t.Fatal(d, err)
		}
		if _, err := s.CreateDepartment(ctx, admin, registry.Department{Name: "tuphap"}); !errors.Is(err, registry.ErrExists) {
			t.Errorf("duplicate department: %v", err)
		}
		if _, err := s.Department(ctx, "none"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("missing department: %v", err)
		}
		secret := "postgres://u:S3cret-value-42@db.example/hotich"
		spec := sourceSpec()
		spec.Streams = []config.Stream{streamSpec("khaisinh")}
		src, err := s.CreateSource(ctx, dept, "tuphap", registry.SourceInput{Spec: spec, Secret: &secret})
		if err != nil {
			t.Fatal(err)
		}
		if !src.Secret.Set || src.Secret.KeyID != "k1" || src.Revision != 1 || src.Origin != registry.OriginAPI {
			t.Errorf("created %+v", src)
		}
		want := sourceSpec()
		want.Sealed, want.Origin = true, registry.OriginAPI
		if !reflect.DeepEqual(src.Spec, want) {
			t.Errorf("spec round trip:\n got %#v\nwant %#v", src.Spec, want)
		}
		if _, err := s.CreateSource(ctx, dept, "tuphap", registry.SourceInput{Spec: sourceSpec()}); !errors.Is(err, registry.ErrExists) {
			t.Errorf("duplicate source: %v", err)
		}
		if _, err := s.CreateSource(ctx, dept, "none", registry.SourceInput{Spec: sourceSpec()}); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("source of a missing department: %v", err)
		}
		st, err := s.Stream(ctx, "tuphap", "hotich", "khaisinh")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(st.Spec, streamSpec("khaisinh")) {
			t.Errorf("stream round trip:\n got %#v\nwant %#v", st.Spec, streamSpec("khaisinh"))
		}
		got, err := s.SourceSecret(ctx, "tuphap", "hotich")
		if err != nil || got != secret {
			t.Errorf("secret: %v", err)
		}
		// Update: stale revision, then the right one.
		spec2 := sourceSpec()
		spec2.Timeout = time.Minute
		if _, err := s.UpdateSource(ctx, dept, "tuphap", "hotich", 7, registry.SourceInput{Spec: spec2}); !errors.Is(err, registry.ErrStale) {
			t.Errorf("stale: %v", err)
		}
		up, err := s.UpdateSource(ctx, dept, "tuphap", "hotich", 1, registry.SourceInput{Spec: spec2})
		if err != nil || up.Revision != 2 || up.Spec.Timeout != time.Minute || !up.Secret.Set {
			t.Fatalf("update %+v %v", up, err)
		}
		if _, err := s.UpdateSource(ctx, dept, "tuphap", "none", 1, registry.SourceInput{Spec: config.Source{Kind: "postgres"}}); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("update missing: %v", err)
		}
		secret2 := "tok-Second-secret-77"
		up, err = s.UpdateSource(ctx, dept, "tuphap", "hotich", 2, registry.SourceInput{Spec: spec2, Secret: &secret2})
		if err != nil || up.Revision != 3 {
			t.Fatal(err)
		}
		if got, _ := s.SourceSecret(ctx, "tuphap", "hotich"); got != secret2 {
			t.Error("the secret was not replaced")
		}
		// Streams.
		if _, err := s.CreateStream(ctx, dept, "tuphap", "hotich", streamSpec("khaisinh")); !errors.Is(err, registry.ErrExists) {
			t.Errorf("duplicate stream: %v", err)
		}
		st2, err := s.CreateStream(ctx, dept, "tuphap", "hotich", streamSpec("kethon"))
		if err != nil || st2.Revision != 1 {
			t.Fatal(err)
		}
		ss := streamSpec("kethon")
		ss.PageSize = 10
		if _, err := s.UpdateStream(ctx, dept, "tuphap", "hotich", "kethon", 0, ss); !errors.Is(err, registry.ErrStale) {
			t.Errorf("stale stream: %v", err)
		}
		if st2, err = s.UpdateStream(ctx, dept, "tuphap", "hotich", "kethon", 1, ss); err != nil || st2.Spec.PageSize != 10 || st2.Revision != 2 {
			t.Errorf("update stream %+v %v", st2, err)
		}
		list, err := s.ListStreams(ctx, "tuphap", "hotich")
		if err != nil || len(list) != 2 || list[0].Spec.Name != "kethon" {
			t.Errorf("list streams %v %v", list, err)
		}
		if err := s.DeleteStream(ctx, dept, "tuphap", "hotich", "kethon"); err != nil {
			t.Error(err)
		}
		if _, err := s.Stream(ctx, "tuphap", "hotich", "kethon"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("deleted stream: %v", err)
		}
		// Mappings: versions, activate, roll back.
		m1, err := s.AddMapping(ctx, dept, "tuphap", "hotich", "khaisinh", "birth_registration", "version: 1\n")
		if err != nil || m1.Version != 1 || m1.Active {
			t.Fatal(m1, err)
		}
		m2, _ := s.AddMapping(ctx, dept, "tuphap", "hotich", "khaisinh", "birth_registration", "version: 2\n")
		if m2.Version != 2 {
			t.Errorf("second version %d", m2.Version)
		}
		if _, err := s.ActivateMapping(ctx, dept, "tuphap", "hotich", "khaisinh", 9); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("activate missing: %v", err)
		}
		if a, err := s.ActivateMapping(ctx, dept, "tuphap", "hotich", "khaisinh", 2); err != nil || !a.Active || a.Text != "version: 2\n" {
			t.Fatal(a, err)
		}
		cfg := mustConfig(t, s)
		if len(cfg) != 1 || cfg[0].Sources[0].Streams[0].Mapping != "registry:tuphap/hotich/khaisinh@v2" ||
			string(cfg[0].Sources[0].Streams[0].MappingText) != "version: 2\n" || !cfg[0].Sources[0].Sealed {
			t.Errorf("config %+v", cfg)
		}
		if _, err := s.ActivateMapping(ctx, dept, "tuphap", "hotich", "khaisinh", 1); err != nil {
			t.Fatal(err)
		}
		ms, err := s.Mappings(ctx, "tuphap", "hotich", "khaisinh")
		if err != nil || len(ms) != 2 || !ms[0].Active || ms[1].Active || ms[0].Text != "" || ms[0].CreatedBy != "tp-officer" {
			t.Errorf("mappings %+v %v", ms, err)
		}
		if cfg := mustConfig(t, s); cfg[0].Sources[0].Streams[0].Mapping != "registry:tuphap/hotich/khaisinh@v1" {
			t.Errorf("rolled back config %+v", cfg)
		}
		// A department with sources is in use.
		if err := s.DeleteDepartment(ctx, admin, "tuphap"); !errors.Is(err, registry.ErrInUse) {
			t.Errorf("delete department in use: %v", err)
		}
		if err := s.DeleteSource(ctx, dept, "tuphap", "hotich"); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"registry_sources", "registry_streams", "registry_mappings"} {
			var n int
			db.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n)
			if n != 0 {
				t.Errorf("%s keeps %d rows after the source was deleted", table, n)
			}
		}
		if err := s.DeleteSource(ctx, dept, "tuphap", "hotich"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("delete twice: %v", err)
		}
		if err := s.DeleteDepartment(ctx, admin, "tuphap"); err != nil {
			t.Error(err)
		}
		// The change log: who, what, when; never a secret.
		changes, err := s.Changes(ctx, registry.ChangeFilter{Department: "tuphap", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, c := range changes {
			actions = append(actions, c.Action)
			if c.At.IsZero() || c.Actor == "" {
				t.Errorf("change %+v", c)
			}
		}
		wantActions := "department.delete source.delete mapping.activate mapping.activate mapping.add mapping.add stream.delete stream.update stream.create source.update source.update source.create department.create"
		if strings.Join(actions, " ") != wantActions {
			t.Errorf("actions:\n got %s\nwant %s", strings.Join(actions, " "), wantActions)
		}
		if changes[len(changes)-3].Actor != "tp-officer" || !strings.Contains(string(changes[2].Detail), `"previous":2`) {
			t.Errorf("change details %+v", changes)
		}
		var secretChange bool
		for _, c := range changes {
			if c.Action == "source.update" && string(c.Detail) == `{"secret":"changed"}` {
				secretChange = true
			}
		}
		if !secretChange {
			t.Error(`no change says {"secret":"changed"}`)
		}
		page, _ := s.Changes(ctx, registry.ChangeFilter{Before: changes[1].ID, Limit: 2})
		if len(page) != 2 || page[0].ID != changes[2].ID {
			t.Errorf("paging %+v", page)
		}
		if err := s.Record(ctx, admin, "token.issue", "tuphap/portal", map[string]string{"scopes": "runs:read"}); err != nil {
			t.Fatal(err)
		}
		if c, _ := s.Changes(ctx, registry.ChangeFilter{Department: "tuphap", Limit: 1}); len(c) != 1 || c[0].Action != "token.issue" {
			t.Errorf("record %+v", c)
		}
		assertNoSecret(t, db, secret, secret2)
	})
}

func isInvalid(err error, field string) bool {
	var ie *registry.InvalidError
	return errors.As(err, &ie) && len(ie.Fields) > 0 && ie.Fields[0].Field == field
}

func mustConfig(t *testing.T, s *registry.Store) []config.Department {
	t.Helper()
	cfg, err := s.Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// assertNoSecret dumps every registry_ table and fails if a secret shows
// anywhere but in the ciphertext column.
func assertNoSecret(t *testing.T, db *database.DB, secrets ...string) {
	t.Helper()
	ctx := context.Background()
	for _, table := range []string{"registry_departments", "registry_sources", "registry_streams", "registry_mappings", "registry_changes"} {
		rows, err := db.QueryxContext(ctx, "SELECT * FROM "+table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		n := 0
		for rows.Next() {
			vals, err := rows.SliceScan()
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if cols[i] == "secret" {
					continue
				}
				text := fmt.Sprint(v)
				if b, ok := v.([]byte); ok {
					text = string(b)
				}
				for _, sec := range secrets {
					if strings.Contains(text, sec) {
						t.Errorf("%s.%s holds a registered secret", table, cols[i])
					}
				}
			}
			n++
		}
		rows.Close()
		if table == "registry_changes" && n == 0 {
			t.Error("the change log is empty: nothing was checked")
		}
	}
	// The ciphertext column itself holds no clear text either.
	rows, _ := db.QueryxContext(ctx, "SELECT secret FROM registry_sources WHERE secret IS NOT NULL")
	defer rows.Close()
	for rows.Next() {
		var b []byte
		rows.Scan(&b)
		for _, sec := range secrets {
			if bytes.Contains(b, []byte(sec)) {
				t.Error("a secret is stored in clear")
			}
		}
	}
}

func TestFileManagedAndApply(t *testing.T) {
	each(t, func(t *testing.T, db *database.DB, s *registry.Store) {
		ctx := context.Background()
		dir := t.TempDir()
		mappingPath := filepath.Join(dir, "khaisinh.yaml")
		os.WriteFile(mappingPath, []byte("v: 1\n"), 0o600)
		mappings := map[string]string{}
		read := func(p string) ([]byte, error) {
			if m, ok := mappings[p]; ok {
				return []byte(m), nil
			}
			return os.ReadFile(p)
		}
		file := filepath.Join(dir, "lienthong.yaml")
		applier := registry.Actor{Name: "apply:" + file}
		// An API-registered department and source the file will take over,
		// and one the file does not declare, which stays.
		s.CreateDepartment(ctx, admin, registry.Department{Name: "tuphap", Title: "old"})
		apiSecret := "api-Registered-Secret-9"
		if _, err := s.CreateSource(ctx, admin, "tuphap", registry.SourceInput{Spec: config.Source{Name: "hotich", Kind: "postgres"}, Secret: &apiSecret}); err != nil {
			t.Fatal(err)
		}
		s.CreateSource(ctx, admin, "tuphap", registry.SourceInput{Spec: config.Source{Name: "api-only", Kind: "postgres"}})

		st := streamSpec("khaisinh")
		st.Mapping = mappingPath
		src := config.Source{Name: "hotich", Kind: "postgres", DSNFile: "relative/dsn.txt", Streams: []config.Stream{st}}
		other := config.Source{Name: "baohiem", Kind: "postgres", DSNEnv: "BH_DSN", Streams: []config.Stream{streamSpec("the")}}
		other.Streams[0].Mapping = "mem:the"
		mappings["mem:the"] = "the: 1\n"
		depts := []config.Department{{Name: "tuphap", Title: "Sở Tư pháp", Sources: []config.Source{src, other}}}
		before, _ := s.Changes(ctx, registry.ChangeFilter{Limit: 1000})
		rep, err := s.ApplyDryRun(ctx, applier, depts, read)
		if err != nil {
			t.Fatal(err)
		}
		if after, _ := s.Changes(ctx, registry.ChangeFilter{Limit: 1000}); len(after) != len(before) {
			t.Errorf("a dry run wrote %d change-log entries", len(after)-len(before))
		}
		if src, _ := s.Source(ctx, "tuphap", "hotich"); src.Origin != registry.OriginAPI {
			t.Error("a dry run took the source over")
		}
		if _, err := s.Source(ctx, "tuphap", "baohiem"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("a dry run created a source: %v", err)
		}
		dry := rep
		rep, err = s.Apply(ctx, applier, depts, read)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(dry, rep) {
			t.Errorf("the dry run said %+v, the apply did %+v", dry, rep)
		}
		check := func(rep registry.ApplyReport, want string) {
			t.Helper()
			got := fmt.Sprintf("created=%v updated=%v unchanged=%v removed=%v taken_over=%v", rep.Created, rep.Updated, rep.Unchanged, rep.Removed, rep.TakenOver)
			if got != want {
				t.Errorf("report:\n got %s\nwant %s", got, want)
			}
		}
		check(rep, "created=[tuphap/hotich/khaisinh tuphap/baohiem tuphap/baohiem/the] updated=[] unchanged=[] removed=[] taken_over=[tuphap tuphap/hotich]")
		got, _ := s.Source(ctx, "tuphap", "hotich")
		if got.Origin != registry.OriginFile || got.Secret.Set || !filepath.IsAbs(got.Spec.DSNFile) {
			t.Errorf("taken over %+v", got)
		}
		// File-managed objects refuse API changes, naming the file.
		_, err = s.UpdateSource(ctx, admin, "tuphap", "hotich", got.Revision, registry.SourceInput{Spec: config.Source{Name: "hotich", Kind: "postgres"}})
		if !errors.Is(err, registry.ErrFileManaged) || !strings.Contains(err.Error(), file) {
			t.Errorf("update a file source: %v", err)
		}
		for name, err := range map[string]error{
			"delete source":    s.DeleteSource(ctx, admin, "tuphap", "hotich"),
			"delete stream":    s.DeleteStream(ctx, admin, "tuphap", "hotich", "khaisinh"),
			"delete dept":      s.DeleteDepartment(ctx, admin, "tuphap"),
			"add mapping":      second(s.AddMapping(ctx, admin, "tuphap", "hotich", "khaisinh", "", "x")),
			"create stream":    second(s.CreateStream(ctx, admin, "tuphap", "hotich", streamSpec("x"))),
			"update stream":    second(s.UpdateStream(ctx, admin, "tuphap", "hotich", "khaisinh", 1, st)),
			"activate mapping": second(s.ActivateMapping(ctx, admin, "tuphap", "hotich", "khaisinh", 1)),
		} {
			if !errors.Is(err, registry.ErrFileManaged) {
				t.Errorf("%s: %v", name, err)
			}
		}
		// Again: nothing changed.
		rep, err = s.Apply(ctx, applier, depts, read)
		if err != nil {
			t.Fatal(err)
		}
		check(rep, "created=[] updated=[] unchanged=[tuphap tuphap/hotich tuphap/hotich/khaisinh tuphap/baohiem tuphap/baohiem/the] removed=[] taken_over=[]")
		// A new mapping text makes a new active version; a changed stream
		// is updated; a source no longer declared is removed.
		os.WriteFile(mappingPath, []byte("v: 2\n"), 0o600)
		depts[0].Sources = depts[0].Sources[:1]
		depts[0].Sources[0].Timeout = time.Minute
		rep, err = s.Apply(ctx, applier, depts, read)
		if err != nil {
			t.Fatal(err)
		}
		check(rep, "created=[] updated=[tuphap/hotich tuphap/hotich/khaisinh] unchanged=[tuphap] removed=[tuphap/baohiem] taken_over=[]")
		ms, _ := s.Mappings(ctx, "tuphap", "hotich", "khaisinh")
		if len(ms) != 2 || !ms[1].Active || ms[0].Active {
			t.Errorf("mapping versions %+v", ms)
		}
		cfg := mustConfig(t, s)
		if len(cfg) != 1 || len(cfg[0].Sources) != 1 || cfg[0].Sources[0].Name != "hotich" ||
			string(cfg[0].Sources[0].Streams[0].MappingText) != "v: 2\n" || cfg[0].Sources[0].Sealed {
			t.Errorf("config %+v", cfg)
		}
		if _, err := s.Source(ctx, "tuphap", "api-only"); err != nil {
			t.Errorf("an API source the file does not declare: %v", err)
		}
		// A failing mapping read rolls the whole apply back.
		depts[0].Sources[0].Timeout = 2 * time.Minute
		depts[0].Sources[0].Streams[0].Mapping = filepath.Join(dir, "missing.yaml")
		if _, err := s.Apply(ctx, applier, depts, read); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
			t.Errorf("apply with a missing mapping: %v", err)
		}
		if got, _ := s.Source(ctx, "tuphap", "hotich"); got.Spec.Timeout != time.Minute {
			t.Error("a failed apply left a change behind")
		}
		// The file drops the department: its file sources go, the
		// department stays while an API source remains.
		rep, err = s.Apply(ctx, applier, nil, read)
		if err != nil {
			t.Fatal(err)
		}
		check(rep, "created=[] updated=[] unchanged=[] removed=[tuphap/hotich] taken_over=[]")
		changes, _ := s.Changes(ctx, registry.ChangeFilter{Limit: 200})
		var takeOver bool
		for _, c := range changes {
			if c.Action == "source.take_over" && c.Actor == applier.Name {
				takeOver = true
			}
		}
		if !takeOver {
			t.Error("the change log does not record the take-over")
		}
		assertNoSecret(t, db, apiSecret)
	})
}

func second[T any](_ T, err error) error { return err }

func TestRotation(t *testing.T) {
	each(t, func(t *testing.T, db *database.DB, _ *registry.Store) {
		ctx := context.Background()
		s1 := registry.New(db, ring(t, "k1"))
		s1.CreateDepartment(ctx, admin, registry.Department{Name: "tuphap"})
		secret := "rotate-Me-secret-5"
		if _, err := s1.CreateSource(ctx, admin, "tuphap", registry.SourceInput{Spec: config.Source{Name: "a", Kind: "postgres"}, Secret: &secret}); err != nil {
			t.Fatal(err)
		}
		s1.CreateSource(ctx, admin, "tuphap", registry.SourceInput{Spec: config.Source{Name: "b", Kind: "sqlite"}})
		// Losing the key is a clear error naming it.
		_, err := registry.New(db, ring(t, "k2")).SourceSecret(ctx, "tuphap", "a")
		if !errors.Is(err, keyring.ErrUnknownKey) || !strings.Contains(err.Error(), `key "k1"`) || !strings.Contains(err.Error(), "restore that key") {
			t.Errorf("lost key: %v", err)
		}
		if _, err := registry.New(db, nil).SourceSecret(ctx, "tuphap", "a"); !errors.Is(err, keyring.ErrNoKeys) || !strings.Contains(err.Error(), "LIENTHONG_SECRET_KEYS_FILE") {
			t.Errorf("no ring: %v", err)
		}
		if _, err := registry.New(db, nil).CreateSource(ctx, admin, "tuphap", registry.SourceInput{Spec: config.Source{Name: "c", Kind: "postgres"}, Secret: &secret}); !errors.Is(err, keyring.ErrNoKeys) {
			t.Errorf("seal without a ring: %v", err)
		}
		if _, err := s1.SourceSecret(ctx, "tuphap", "b"); err == nil {
			t.Error("a source without a secret opened one")
		}
		both := registry.New(db, ring(t, "k2", "k1"))
		n, err := both.RotateSecrets(ctx, registry.Actor{Name: "admin"})
		if err != nil || n != 1 {
			t.Fatalf("rotate: %d %v", n, err)
		}
		if n, _ := both.RotateSecrets(ctx, admin); n != 0 {
			t.Errorf("a second rotation re-sealed %d", n)
		}
		if src, _ := both.Source(ctx, "tuphap", "a"); src.Secret.KeyID != "k2" {
			t.Errorf("sealed under %s", src.Secret.KeyID)
		}
		if got, err := registry.New(db, ring(t, "k2")).SourceSecret(ctx, "tuphap", "a"); err != nil || got != secret {
			t.Errorf("k2 alone: %v", err)
		}
		_, err = s1.SourceSecret(ctx, "tuphap", "a")
		if !errors.Is(err, keyring.ErrUnknownKey) || !strings.Contains(err.Error(), `key "k2"`) {
			t.Errorf("k1 alone after rotation: %v", err)
		}
		// A ring that cannot open a secret stops the rotation with nothing changed.
		if _, err := registry.New(db, ring(t, "k3")).RotateSecrets(ctx, admin); !errors.Is(err, keyring.ErrUnknownKey) {
			t.Errorf("rotate without the old key: %v", err)
		}
		assertNoSecret(t, db, secret)
	})
}

// TestSpecRoundTrip: what DecodeSource gives is what the registry gives
// back, options' types and durations included.
func TestSpecRoundTrip(t *testing.T) {
	each(t, func(t *testing.T, db *database.DB, s *registry.Store) {
		ctx := context.Background()
		body := `name: cong-dan
kind: httpjson
timeout: 2m30s
options:
  base_url: https://api.example/v1
  page_size: 200
  ratio: 0.5
  negative: -3
  enabled: true
  zip: "07"
  headers: {Accept: application/json}
  fields: [a, 1, {b: c}]
streams:
  - name: ho-so
    table: hoso
    primary_key: [id, ky]
    mode: incremental
    batch: {size: 10}
    max_delete_ratio: 1
    retry_transient_for: 0s
    schedule: "30 2 * * *"
    timezone: UTC
    max_runtime: 1d
  - name: trong
    query: SELECT 1
    primary_key: [id]
`
		spec, errs := config.DecodeSource([]byte(body))
		if errs != nil {
			t.Fatal(errs)
		}
		s.CreateDepartment(ctx, admin, registry.Department{Name: "cong-an"})
		src, err := s.CreateSource(ctx, admin, "cong-an", registry.SourceInput{Spec: spec})
		if err != nil {
			t.Fatal(err)
		}
		want := spec
		want.Streams, want.Origin = nil, registry.OriginAPI
		if !reflect.DeepEqual(src.Spec, want) {
			t.Errorf("source:\n got %#v\nwant %#v", src.Spec, want)
		}
		streams, err := s.ListStreams(ctx, "cong-an", "cong-dan")
		if err != nil || len(streams) != 2 {
			t.Fatal(streams, err)
		}
		for i, st := range streams {
			if !reflect.DeepEqual(st.Spec, spec.Streams[i]) {
				t.Errorf("stream %d:\n got %#v\nwant %#v", i, st.Spec, spec.Streams[i])
			}
		}
		// Without an active mapping a stream is left out of Config, and a
		// source without streams with it.
		if cfg := mustConfig(t, s); len(cfg) != 0 {
			t.Errorf("config without active mappings: %+v", cfg)
		}
		s.AddMapping(ctx, admin, "cong-an", "cong-dan", "trong", "k", "m")
		s.ActivateMapping(ctx, admin, "cong-an", "cong-dan", "trong", 1)
		cfg := mustConfig(t, s)
		if len(cfg) != 1 || len(cfg[0].Sources[0].Streams) != 1 || cfg[0].Sources[0].Streams[0].Name != "trong" || cfg[0].Sources[0].Sealed {
			t.Errorf("config %+v", cfg)
		}
		if _, err := s.ListStreams(ctx, "cong-an", "none"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("streams of a missing source: %v", err)
		}
		if _, err := s.Mappings(ctx, "cong-an", "cong-dan", "none"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("mappings of a missing stream: %v", err)
		}
		if _, err := s.Mapping(ctx, "cong-an", "cong-dan", "trong", 5); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("missing version: %v", err)
		}
	})
}

// TestConcurrent: writers that read the same revision, and replicas that
// apply the same file at once.
func TestConcurrent(t *testing.T) {
	each(t, func(t *testing.T, db *database.DB, s *registry.Store) {
		ctx := context.Background()
		s.CreateDepartment(ctx, admin, registry.Department{Name: "d"})
		if _, err := s.CreateSource(ctx, admin, "d", registry.SourceInput{Spec: config.Source{Name: "a", Kind: "postgres", Streams: []config.Stream{streamSpec("s")}}}); err != nil {
			t.Fatal(err)
		}
		const n = 6
		errs := make(chan error, n)
		for i := range n {
			go func() {
				spec := config.Source{Name: "a", Kind: "postgres", Timeout: time.Duration(i+1) * time.Second}
				_, err := s.UpdateSource(ctx, admin, "d", "a", 1, registry.SourceInput{Spec: spec})
				errs <- err
			}()
		}
		ok := 0
		for range n {
			err := <-errs
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, registry.ErrStale):
				t.Errorf("concurrent update: %v", err)
			}
		}
		if src, _ := s.Source(ctx, "d", "a"); ok != 1 || src.Revision != 2 {
			t.Errorf("%d updates of revision 1 succeeded; revision %d", ok, src.Revision)
		}
		versions := make(chan int, n)
		for i := range n {
			go func() {
				m, err := s.AddMapping(ctx, admin, "d", "a", "s", "k", fmt.Sprint(i))
				if err != nil {
					t.Errorf("concurrent upload: %v", err)
				}
				versions <- m.Version
			}()
		}
		seen := map[int]bool{}
		for range n {
			seen[<-versions] = true
		}
		if len(seen) != n {
			t.Errorf("versions %v", seen)
		}
		st := streamSpec("f")
		st.MappingText = []byte("m")
		depts := []config.Department{{Name: "f", Sources: []config.Source{{Name: "x", Kind: "sqlite", DSN: "/x.db", Streams: []config.Stream{st}}}}}
		for range 3 {
			go func() {
				_, err := s.Apply(ctx, registry.Actor{Name: "apply:/etc/lienthong.yaml"}, depts, nil)
				errs <- err
			}()
		}
		for range 3 {
			if err := <-errs; err != nil {
				t.Errorf("concurrent apply: %v", err)
			}
		}
		if ms, _ := s.Mappings(ctx, "f", "x", "f"); len(ms) != 1 {
			t.Errorf("concurrent applies made %d mapping versions", len(ms))
		}
	})
}
