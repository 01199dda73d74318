// Package clients keeps the callers of the HTTP API that hold a bearer
// token (portal clients today; departments and administrators' own tokens
// can be added as more scopes): their names, scopes, the forms they may
// fill, expiry and revocation.
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

// Scopes a client may hold.
const (
	// ScopePrefill lets a portal read a citizen's pre-fill of a form.
	ScopePrefill = "prefill"
	// ScopeAuditSubject lets a client read a citizen's access report.
	ScopeAuditSubject = "audit:subject"
)

// Scopes lists every scope, for validation and help texts.
var Scopes = []string{ScopePrefill, ScopeAuditSubject}

// Client is a holder of an API token.
type Client struct {
	ID     int64    `json:"id"`
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
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
	Name   string
	Scopes []string
	Forms  []string
	// ExpiresAt, when not zero, is when the token stops working.
	ExpiresAt time.Time
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Add registers a client and returns it with its token, which is not kept
// and cannot be shown again.
func (s *Store) Add(ctx context.Context, n NewClient) (Client, string, error) {
	if !namePattern.MatchString(n.Name) {
		return Client{}, "", fmt.Errorf("add client: %q is not a client name: use lowercase letters, digits, dots and dashes", n.Name)
	}
	if len(n.Scopes) == 0 {
		return Client{}, "", fmt.Errorf("add client %s: give at least one scope (%s)", n.Name, strings.Join(Scopes, ", "))
	}
	for _, sc := range n.Scopes {
		if !slices.Contains(Scopes, sc) {
			return Client{}, "", fmt.Errorf("add client %s: unknown scope %q (scopes: %s)", n.Name, sc, strings.Join(Scopes, ", "))
		}
	}
	for _, f := range n.Forms {
		if f == "" || strings.ContainsAny(f, " \t") {
			return Client{}, "", fmt.Errorf("add client %s: %q is not a form name", n.Name, f)
		}
	}
	tok, hash := NewToken()
	c := Client{Name: n.Name, Scopes: n.Scopes, Forms: n.Forms, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	var expires any
	if !n.ExpiresAt.IsZero() {
		t := n.ExpiresAt.UTC().Truncate(time.Microsecond)
		c.ExpiresAt = &t
		expires = s.timeArg(t)
	}
	q := s.db.Rebind(`INSERT INTO api_clients (name, token_hash, scopes, forms, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?) RETURNING id`)
	err := s.db.QueryRowContext(ctx, q, c.Name, hash[:], strings.Join(c.Scopes, " "), strings.Join(c.Forms, " "),
		s.timeArg(c.CreatedAt), expires).Scan(&c.ID)
	if err != nil {
		if strings.Contains(err.Error(), "unique") || strings.Contains(err.Error(), "UNIQUE") {
			return Client{}, "", fmt.Errorf("add client %s: a client of that name exists; revoke it or choose another name", n.Name)
		}
		return Client{}, "", fmt.Errorf("add client %s: %w", n.Name, err)
	}
	return c, tok, nil
}

const timeLayout = "2006-01-02T15:04:05.000000Z"

func (s *Store) timeArg(t time.Time) any {
	if s.db.Dialect == database.SQLite {
		return t.UTC().Format(timeLayout)
	}
	return t
}

func scanTime(v any) (*time.Time, error) {
	var t time.Time
	var err error
	switch x := v.(type) {
	case nil:
		return nil, nil
	case time.Time:
		t = x.UTC()
	case string:
		t, err = time.Parse(timeLayout, x)
	case []byte:
		t, err = time.Parse(timeLayout, string(x))
	default:
		err = fmt.Errorf("unexpected time %T", v)
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

const clientColumns = `id, name, token_hash, scopes, forms, created_at, expires_at, revoked_at`

func scanClient(row interface{ Scan(...any) error }) (Client, []byte, error) {
	var (
		c                         Client
		hash                      []byte
		scopes, forms             string
		created, expires, revoked any
	)
	if err := row.Scan(&c.ID, &c.Name, &hash, &scopes, &forms, &created, &expires, &revoked); err != nil {
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
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE api_clients SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL`),
		s.timeArg(time.Now().UTC().Truncate(time.Microsecond)), name)
	if err != nil {
		return fmt.Errorf("revoke client %s: %w", name, err)
	}
	s.mu.Lock()
	s.cache = nil // this replica stops the token at once
	s.mu.Unlock()
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("revoke client %s: no such client holds a live token (lienthong clients list shows them)", name)
	}
	return nil
}

// List returns every client, revoked ones included, by name.
func (s *Store) List(ctx context.Context) ([]Client, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+clientColumns+` FROM api_clients ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	defer rows.Close()
	var out []Client
	for rows.Next() {
		c, _, err := scanClient(rows)
		if err != nil {
			return nil, fmt.Errorf("list clients: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
