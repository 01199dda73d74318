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

import "errors"

// ErrNoKeys is returned by Load when the operator gave no key.
var ErrNoKeys = errors.New("keyring: no secret key: set LIENTHONG_SECRET_KEYS_FILE (a file of \"id:base64\" lines, made by lienthong keys generate) or LIENTHONG_SECRET_KEYS")

// ErrUnknownKey is returned (wrapped, with the key id) by Open when the
// ciphertext was sealed under a key the ring does not hold.
var ErrUnknownKey = errors.New("keyring: the secret was encrypted under a key this process does not have")

// ErrDecrypt is returned (wrapped) by Open when the ciphertext does not
// authenticate: tampered with, or sealed for another object (the
// additional data differ).
var ErrDecrypt = errors.New("keyring: the secret does not decrypt")

// Ring is an ordered set of keys; the first is the primary.
type Ring struct {
	ids  []string
	keys map[string][]byte
}

// Load reads the ring from the environment: LIENTHONG_SECRET_KEYS_FILE
// names a file, LIENTHONG_SECRET_KEYS holds the lines itself (separated by
// newlines or commas). It returns ErrNoKeys when neither is set.
func Load(getenv func(string) string) (*Ring, error) { panic("TODO") }

// Parse reads "id:base64" lines; ids are [a-z0-9-]{1,32}, keys 32 bytes.
func Parse(text string) (*Ring, error) { panic("TODO") }

// Generate returns a new key line "id:base64" with a random id and key.
func Generate() (string, error) { panic("TODO") }

// Primary is the id of the key Seal uses.
func (r *Ring) Primary() string { return r.ids[0] }

// Seal encrypts plaintext under the primary key with a random nonce,
// binding aad (the object the secret belongs to, e.g. "source:dept/name")
// so a ciphertext copied to another object does not open.
func (r *Ring) Seal(plaintext, aad []byte) (keyID string, ciphertext []byte, err error) {
	panic("TODO")
}

// Open decrypts a ciphertext sealed under keyID with the same aad.
func (r *Ring) Open(keyID string, ciphertext, aad []byte) ([]byte, error) { panic("TODO") }
