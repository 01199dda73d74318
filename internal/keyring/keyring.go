// Package keyring holds the keys that encrypt the secrets departments
// register (database passwords, API tokens) at rest, with AES-256-GCM.
//
// The operator provides the keys, never lienthong's database: in the
// environment (LIENTHONG_SECRET_KEYS) or a file (LIENTHONG_SECRET_KEYS_FILE),
// one key per line as "id:base64(32 bytes)". The first key is the primary:
// Seal uses it; Open uses whichever key a ciphertext names, so keys rotate
// by putting a new key first and re-sealing (lienthong keys rotate), then
// removing the old one. A ciphertext whose key is missing is a clear error
// naming the key id, never garbage.
//
// The package must not know where ciphertexts are stored.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Environment variables the ring is read from.
const (
	EnvFile = "LIENTHONG_SECRET_KEYS_FILE"
	EnvKeys = "LIENTHONG_SECRET_KEYS"
)

// ErrNoKeys is returned by Load when the operator gave no key.
var ErrNoKeys = errors.New("keyring: no secret key: set LIENTHONG_SECRET_KEYS_FILE (a file of \"id:base64\" lines, made by lienthong keys generate) or LIENTHONG_SECRET_KEYS")

// ErrUnknownKey is returned (wrapped, with the key id) by Open when the
// ciphertext was sealed under a key the ring does not hold.
var ErrUnknownKey = errors.New("keyring: the secret was encrypted under a key this process does not have")

// ErrDecrypt is returned (wrapped) by Open when the ciphertext does not
// authenticate: tampered with, or sealed for another object (the
// additional data differ).
var ErrDecrypt = errors.New("keyring: the secret does not decrypt")

// KeySize is the length of a key: AES-256.
const KeySize = 32

// nonceSize is GCM's standard nonce, prepended to each ciphertext.
const nonceSize = 12

// Ring is an ordered set of keys; the first is the primary.
type Ring struct {
	ids  []string
	keys map[string][]byte
	// source names where the ring came from, for errors.
	source string
}

var idRE = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

// Load reads the ring from the environment: LIENTHONG_SECRET_KEYS_FILE
// names a file, LIENTHONG_SECRET_KEYS holds the lines itself (separated by
// newlines or commas). It returns ErrNoKeys when neither is set.
func Load(getenv func(string) string) (*Ring, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if file := strings.TrimSpace(getenv(EnvFile)); file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			// The *PathError names the file, never its content.
			return nil, fmt.Errorf("keyring: read %s: %w", EnvFile, err)
		}
		r, err := parse(string(b), file)
		if err != nil {
			return nil, err
		}
		r.source = EnvFile
		return r, nil
	}
	if text := getenv(EnvKeys); strings.TrimSpace(text) != "" {
		r, err := parse(text, EnvKeys)
		if err != nil {
			return nil, err
		}
		r.source = EnvKeys
		return r, nil
	}
	return nil, ErrNoKeys
}

// Parse reads "id:base64" lines; ids are [a-z0-9-]{1,32}, keys 32 bytes.
// Lines may also be separated by commas; blank lines and lines starting
// with "#" are skipped.
func Parse(text string) (*Ring, error) { return parse(text, "key list") }

func parse(text, where string) (*Ring, error) {
	r := &Ring{keys: map[string][]byte{}, source: where}
	text = strings.ReplaceAll(text, ",", "\n")
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		n := i + 1
		id, b64, ok := strings.Cut(line, ":")
		id = strings.TrimSpace(id)
		if !ok {
			return nil, fmt.Errorf("keyring: %s entry %d: write \"id:base64\" (lienthong keys generate makes one)", where, n)
		}
		if !idRE.MatchString(id) {
			return nil, fmt.Errorf("keyring: %s entry %d: key id %q: use 1 to 32 lowercase letters, digits or dashes", where, n, id)
		}
		if _, dup := r.keys[id]; dup {
			return nil, fmt.Errorf("keyring: %s entry %d: key id %q is listed twice", where, n, id)
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil {
			return nil, fmt.Errorf("keyring: %s entry %d (key %q): the key is not valid base64", where, n, id)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("keyring: %s entry %d (key %q): the key is %d bytes, want %d (lienthong keys generate makes one)", where, n, id, len(key), KeySize)
		}
		r.ids = append(r.ids, id)
		r.keys[id] = key
	}
	if len(r.ids) == 0 {
		return nil, fmt.Errorf("keyring: %s holds no key: %w", where, ErrNoKeys)
	}
	return r, nil
}

// Generate returns a new key line "id:base64" with a random id and key.
func Generate() (string, error) {
	id := make([]byte, 4)
	key := make([]byte, KeySize)
	if _, err := rand.Read(id); err != nil {
		return "", fmt.Errorf("keyring: generate: %w", err)
	}
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("keyring: generate: %w", err)
	}
	return "k-" + hex.EncodeToString(id) + ":" + base64.StdEncoding.EncodeToString(key), nil
}

// Primary is the id of the key Seal uses.
func (r *Ring) Primary() string { return r.ids[0] }

// IDs lists the ring's key ids, primary first.
func (r *Ring) IDs() []string { return append([]string(nil), r.ids...) }

// Has reports whether the ring holds the key id.
func (r *Ring) Has(id string) bool { _, ok := r.keys[id]; return ok }

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Seal encrypts plaintext under the primary key with a random nonce,
// binding aad (the object the secret belongs to, e.g. "source:dept/name")
// so a ciphertext copied to another object does not open.
func (r *Ring) Seal(plaintext, aad []byte) (keyID string, ciphertext []byte, err error) {
	if r == nil || len(r.ids) == 0 {
		return "", nil, ErrNoKeys
	}
	id := r.ids[0]
	a, err := gcm(r.keys[id])
	if err != nil {
		return "", nil, fmt.Errorf("keyring: seal: %w", err)
	}
	nonce := make([]byte, nonceSize, nonceSize+len(plaintext)+a.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, fmt.Errorf("keyring: seal: %w", err)
	}
	return id, a.Seal(nonce, nonce, plaintext, aad), nil
}

// Open decrypts a ciphertext sealed under keyID with the same aad.
func (r *Ring) Open(keyID string, ciphertext, aad []byte) ([]byte, error) {
	if r == nil || len(r.ids) == 0 {
		return nil, ErrNoKeys
	}
	key, ok := r.keys[keyID]
	if !ok {
		return nil, &unknownKeyError{id: keyID, aad: string(aad), source: r.source}
	}
	if len(ciphertext) < nonceSize {
		return nil, fmt.Errorf("%w (key %q): the ciphertext is too short", ErrDecrypt, keyID)
	}
	a, err := gcm(key)
	if err != nil {
		return nil, fmt.Errorf("keyring: open: %w", err)
	}
	out, err := a.Open(nil, ciphertext[:nonceSize], ciphertext[nonceSize:], aad)
	if err != nil {
		return nil, fmt.Errorf("%w (key %q): it was altered, or sealed for another object than %q", ErrDecrypt, keyID, string(aad))
	}
	return out, nil
}

// unknownKeyError is ErrUnknownKey with the key id and what to do.
type unknownKeyError struct{ id, aad, source string }

func (e *unknownKeyError) Error() string {
	what := "the secret"
	if e.aad != "" {
		what = "the secret of " + e.aad
	}
	src := e.source
	if src == "" {
		src = "the key ring"
	}
	return fmt.Sprintf("keyring: %s was sealed under key %q, which %s does not hold: restore that key, or register the secret again", what, e.id, src)
}

func (e *unknownKeyError) Unwrap() error { return ErrUnknownKey }
