// Package clients keeps the callers of the HTTP API that hold a bearer
// token: portal clients (pre-fill, access reports) and departments' tokens
// (their sources, mappings, runs and rejects): their names, department,
// scopes, the forms they may fill, expiry and revocation.
//
// A token is random, shown once when made, and stored only as its SHA-256
// hash: a copy of the database gives no usable token. Authenticate finds a
// client by the hash of the presented token and compares the hashes in
// constant time.
//
// The package must not know HTTP or forms beyond their names.
package clients

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lienthong/lienthong/internal/database"
)

//go:embed migrations
var migrations embed.FS

// Scopes a portal client may hold.
const (
	// ScopePrefill lets a portal read a citizen's pre-fill of a form.
	ScopePrefill = "prefill"
	// ScopeAuditSubject lets a client read a citizen's access report.
	ScopeAuditSubject = "audit:subject"
)

// Scopes a department's token may hold, each over its own department only
// (internal/ops decides what each allows).
const (
	ScopeSourcesRead   = "sources:read"
	ScopeSourcesWrite  = "sources:write"
	ScopeMappingsWrite = "mappings:write"
	ScopeRunsRead      = "runs:read"
	ScopeRunsWrite     = "runs:write"
	ScopeRejectsRead   = "rejects:read"
	ScopeRejectsWrite  = "rejects:write"
)

// PortalScopes are the scopes of a client without a department.
var PortalScopes = []string{ScopePrefill, ScopeAuditSubject}

// DepartmentScopes are the scopes of a department's token. The two lists
// do not mix: a department's token reads no citizen's pre-fill, and a
// portal's token manages no department.
var DepartmentScopes = []string{ScopeSourcesRead, ScopeSourcesWrite, ScopeMappingsWrite,
	ScopeRunsRead, ScopeRunsWrite, ScopeRejectsRead, ScopeRejectsWrite}

// Scopes lists every scope, for validation and help texts.
var Scopes = append(slices.Clone(PortalScopes), DepartmentScopes...)

// Client is a holder of an API token.
type Client struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Department is the department whose token this is; empty for a
	// portal client.
	Department string   `json:"department,omitempty"`
	Scopes     []string `json:"scopes"`
	// Forms limits the forms the client may fill; empty means all.
	Forms     []string   `json:"forms,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Has reports whether the client holds a scope.
func (c Client) Has(scope string) bool { return slices.Contains(c.Scopes, scope) }

// MayFill reports whether the client may fill the named form.
func (c Client) MayFill(form string) bool { return len(c.Forms) == 0 || slices.Contains(c.Forms, form) }

// Errors of Authenticate. They say nothing of which client a token was, so
// an answer cannot help guess one.
var (
	ErrUnknownToken = errors.New("clients: unknown token")
	ErrExpired      = errors.New("clients: the token has expired")
	ErrRevoked      = errors.New("clients: the token was revoked")
)

// Errors of Add and Revoke, matched with errors.Is; the returned errors
// name the client.
var (
	// ErrExists: a client of that name exists (names are unique over the
	// whole register, revoked clients included).
	ErrExists = errors.New("clients: a client of that name exists")
	// ErrNotFound: no such client holds a live token.
	ErrNotFound = errors.New("clients: no such client holds a live token")
)

// InvalidError is a NewClient that Add refuses, naming the field at fault
// ("name", "department", "scopes", "forms").
type InvalidError struct {
	Client string
	Field  string
	Reason string
}

func (e *InvalidError) Error() string {
	if e.Client == "" || e.Field == "name" {
		return "add client: " + e.Reason
	}
	return "add client " + e.Client + ": " + e.Reason
}

// tokenPrefix marks lienthong's tokens, so a leaked one is recognised by
// secret scanners.
const tokenPrefix = "lt_"

// NewToken returns a new random token and its hash.
func NewToken() (string, [32]byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	tok := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return tok, HashToken(tok)
}

// HashToken is what the store keeps of a token.
func HashToken(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// Equal compares a presented token with a stored hash in constant time.
func Equal(token string, hash [32]byte) bool {
	h := HashToken(token)
	return subtle.ConstantTimeCompare(h[:], hash[:]) == 1
}

// Store is the client register in the state store.
type Store struct {
	db *database.DB
	// CacheFor is how long Authenticate trusts a token it found without
	// asking the database again; DefaultCacheFor when zero, none when
	// negative. A token revoked on another replica stops working there
	// within this time (on this one, at once).
	CacheFor time.Duration

	mu    sync.Mutex
	cache map[[32]byte]cached
}

// DefaultCacheFor is how long a found token is trusted without a query:
// one query per portal request would double the store's load for a list
// that changes a few times a year.
const DefaultCacheFor = 5 * time.Second

// maxCached bounds the cache; a full cache is emptied.
const maxCached = 4096

type cached struct {
	client Client
	until  time.Time
}

// New returns the client register kept in db.
func New(db *database.DB) *Store { return &Store{db: db} }

// Migrate applies the register's pending migrations.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	ms, err := database.LoadMigrations(migrations, "migrations", s.db.Dialect)
	if err != nil {
		return 0, fmt.Errorf("migrate client register: %w", err)
	}
	n, err := s.db.Migrate(ctx, "clients", ms)
	if err != nil {
		return n, fmt.Errorf("migrate client register: %w", err)
	}
	return n, nil
}

// Pending returns how many of the register's migrations are not applied.
func (s *Store) Pending(ctx context.Context) (int, error) {
	ms, err := database.LoadMigrations(migrations, "migrations", s.db.Dialect)
	if err != nil {
		return 0, fmt.Errorf("client register migrations: %w", err)
	}
	return s.db.Pending(ctx, "clients", ms)
}

// NewClient is what Add needs.
type NewClient struct {
	Name string
	// Department makes a department's token, which holds only
	// DepartmentScopes; empty makes a portal client (PortalScopes).
	Department string
	Scopes     []string
	Forms      []string
	// ExpiresAt, when not zero, is when the token stops working.
	ExpiresAt time.Time
}

var (
	namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	// deptPattern is config's name rule for departments.
	deptPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
)

// validate checks a NewClient before it is stored.
func (n NewClient) validate() error {
	bad := func(field, format string, a ...any) error {
		return &InvalidError{Client: n.Name, Field: field, Reason: fmt.Sprintf(format, a...)}
	}
	if !namePattern.MatchString(n.Name) {
		return bad("name", "%q is not a client name: use lowercase letters, digits, dots and dashes", n.Name)
	}
	allowed, other, what := PortalScopes, DepartmentScopes, "a portal client"
	if n.Department != "" {
		if !deptPattern.MatchString(n.Department) {
			return bad("department", "%q is not a department name: use lowercase letters, digits, dashes and underscores", n.Department)
		}
		allowed, other, what = DepartmentScopes, PortalScopes, "a department's token"
		if len(n.Forms) > 0 {
			return bad("forms", "a department's token fills no form: leave forms empty")
		}
	}
	if len(n.Scopes) == 0 {
		return bad("scopes", "give at least one scope (%s)", strings.Join(allowed, ", "))
	}
	for _, sc := range n.Scopes {
		switch {
		case slices.Contains(other, sc):
			return bad("scopes", "scope %q is not for %s (its scopes: %s)", sc, what, strings.Join(allowed, ", "))
		case !slices.Contains(allowed, sc):
			return bad("scopes", "unknown scope %q (scopes: %s)", sc, strings.Join(allowed, ", "))
		}
	}
	for _, f := range n.Forms {
		if f == "" || strings.ContainsAny(f, " \t") {
			return bad("forms", "%q is not a form name", f)
		}
	}
	return nil
}

// Add registers a client and returns it with its token, which is not kept
// and cannot be shown again. A refused NewClient is an *InvalidError; a
// name already used (by any client, of any department) is ErrExists.
func (s *Store) Add(ctx context.Context, n NewClient) (Client, string, error) {
	if err := n.validate(); err != nil {
		return Client{}, "", err
	}
	tok, hash := NewToken()
	c := Client{Name: n.Name, Department: n.Department, Scopes: n.Scopes, Forms: n.Forms, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	var expires any
	if !n.ExpiresAt.IsZero() {
		t := n.ExpiresAt.UTC().Truncate(time.Microsecond)
		c.ExpiresAt = &t
		expires = s.timeArg(t)
	}
	q := s.db.Rebind(`INSERT INTO api_clients (name, department, token_hash, scopes, forms, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`)
	err := s.db.QueryRowContext(ctx, q, c.Name, c.Department, hash[:], strings.Join(c.Scopes, " "), strings.Join(c.Forms, " "),
		s.timeArg(c.CreatedAt), expires).Scan(&c.ID)
	if err != nil {
		if strings.Contains(err.Error(), "unique") || strings.Contains(err.Error(), "UNIQUE") {
			return Client{}, "", fmt.Errorf("add client %s: %w; revoke it or choose another name", n.Name, ErrExists)
		}
		return Client{}, "", fmt.Errorf("add client %s: %w", n.Name, err)
	}
	return c, tok, nil
}

func (s *Store) timeArg(t time.Time) any { return s.db.TimeArg(t) }

func scanTime(v any) (*time.Time, error) { return database.ScanTime(v) }

const clientColumns = `id, name, department, token_hash, scopes, forms, created_at, expires_at, revoked_at`

func scanClient(row interface{ Scan(...any) error }) (Client, []byte, error) {
	var (
		c                         Client
		hash                      []byte
		scopes, forms             string
		created, expires, revoked any
	)
	if err := row.Scan(&c.ID, &c.Name, &c.Department, &hash, &scopes, &forms, &created, &expires, &revoked); err != nil {
		return Client{}, nil, err
	}
	c.Scopes = strings.Fields(scopes)
	c.Forms = strings.Fields(forms)
	var err error
	var at *time.Time
	if at, err = scanTime(created); err != nil || at == nil {
		return Client{}, nil, fmt.Errorf("client %s: created_at: %v", c.Name, err)
	}
	c.CreatedAt = *at
	if c.ExpiresAt, err = scanTime(expires); err != nil {
		return Client{}, nil, fmt.Errorf("client %s: expires_at: %w", c.Name, err)
	}
	if c.RevokedAt, err = scanTime(revoked); err != nil {
		return Client{}, nil, fmt.Errorf("client %s: revoked_at: %w", c.Name, err)
	}
	return c, hash, nil
}

// Authenticate returns the client that holds token, if the token is known,
// unexpired and not revoked.
func (s *Store) Authenticate(ctx context.Context, token string) (Client, error) {
	if !strings.HasPrefix(token, tokenPrefix) {
		return Client{}, ErrUnknownToken
	}
	hash := HashToken(token)
	now := time.Now()
	s.mu.Lock()
	hit, ok := s.cache[hash]
	s.mu.Unlock()
	if ok && now.Before(hit.until) {
		return checkLive(hit.client, now)
	}
	c, stored, err := scanClient(s.db.QueryRowContext(ctx,
		s.db.Rebind(`SELECT `+clientColumns+` FROM api_clients WHERE token_hash = ?`), hash[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return Client{}, ErrUnknownToken
	}
	if err != nil {
		return Client{}, fmt.Errorf("authenticate: %w", err)
	}
	// The lookup went by hash, so it leaks nothing of the token; the
	// comparison is constant-time all the same.
	if subtle.ConstantTimeCompare(stored, hash[:]) != 1 {
		return Client{}, ErrUnknownToken
	}
	if ttl := s.cacheFor(); ttl > 0 {
		s.mu.Lock()
		if s.cache == nil || len(s.cache) >= maxCached {
			s.cache = map[[32]byte]cached{}
		}
		s.cache[hash] = cached{client: c, until: now.Add(ttl)}
		s.mu.Unlock()
	}
	return checkLive(c, now)
}

func (s *Store) cacheFor() time.Duration {
	if s.CacheFor == 0 {
		return DefaultCacheFor
	}
	return s.CacheFor
}

// checkLive refuses a revoked or expired client.
func checkLive(c Client, now time.Time) (Client, error) {
	switch {
	case c.RevokedAt != nil && !c.RevokedAt.After(now):
		return Client{}, ErrRevoked
	case c.ExpiresAt != nil && !c.ExpiresAt.After(now):
		return Client{}, ErrExpired
	}
	return c, nil
}

// Revoke stops the named client's token now.
func (s *Store) Revoke(ctx context.Context, name string) error {
	return s.revoke(ctx, "revoke client "+name, `name = ?`, name)
}

// RevokeDepartment stops the named token of a department now. A token of
// that name in another department, or a portal client's, is not found.
func (s *Store) RevokeDepartment(ctx context.Context, dept, name string) error {
	if dept == "" {
		return fmt.Errorf("revoke token %s: name its department", name)
	}
	return s.revoke(ctx, "revoke token "+dept+"/"+name, `department = ? AND name = ?`, dept, name)
}

func (s *Store) revoke(ctx context.Context, op, where string, args ...any) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE api_clients SET revoked_at = ? WHERE `+where+` AND revoked_at IS NULL`),
		append([]any{s.timeArg(time.Now().UTC().Truncate(time.Microsecond))}, args...)...)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	s.mu.Lock()
	s.cache = nil // this replica stops the token at once
	s.mu.Unlock()
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s: %w (lienthong clients list shows them)", op, ErrNotFound)
	}
	return nil
}

// List returns every client, revoked ones included, by name.
func (s *Store) List(ctx context.Context) ([]Client, error) {
	return s.list(ctx, `SELECT `+clientColumns+` FROM api_clients ORDER BY name`)
}

// ListDepartment returns a department's tokens, revoked ones included,
// by name.
func (s *Store) ListDepartment(ctx context.Context, dept string) ([]Client, error) {
	if dept == "" {
		return nil, errors.New("list department tokens: name the department")
	}
	return s.list(ctx, s.db.Rebind(`SELECT `+clientColumns+` FROM api_clients WHERE department = ? ORDER BY name`), dept)
}

func (s *Store) list(ctx context.Context, q string, args ...any) ([]Client, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	defer rows.Close()
	out := []Client{}
	for rows.Next() {
		c, _, err := scanClient(rows)
		if err != nil {
			return nil, fmt.Errorf("list clients: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
