package keyring_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/internal/keyring"
)

func key(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }

func ring(t *testing.T, text string) *keyring.Ring {
	t.Helper()
	r, err := keyring.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRoundTrip(t *testing.T) {
	r := ring(t, "k1:"+key(1))
	secret := []byte("postgres://u:hunter2@db/x")
	id, ct, err := r.Seal(secret, []byte("source:tp/hotich"))
	if err != nil {
		t.Fatal(err)
	}
	if id != "k1" || bytes.Contains(ct, secret) || len(ct) != 12+len(secret)+16 {
		t.Fatalf("sealed under %q, %d bytes", id, len(ct))
	}
	_, ct2, _ := r.Seal(secret, []byte("source:tp/hotich"))
	if bytes.Equal(ct, ct2) {
		t.Error("two seals of one secret are equal: the nonce is not random")
	}
	got, err := r.Open(id, ct, []byte("source:tp/hotich"))
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("open: %q %v", got, err)
	}
}

func TestTamperAndWrongAAD(t *testing.T) {
	r := ring(t, "k1:"+key(1))
	id, ct, _ := r.Seal([]byte("token-123"), []byte("source:tp/a"))
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 1
		if _, err := r.Open(id, bad, []byte("source:tp/a")); !errors.Is(err, keyring.ErrDecrypt) {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
	}
	_, err := r.Open(id, ct, []byte("source:tp/b"))
	if !errors.Is(err, keyring.ErrDecrypt) || strings.Contains(err.Error(), "token-123") {
		t.Errorf("wrong aad: %v", err)
	}
	if _, err := r.Open(id, ct[:5], nil); !errors.Is(err, keyring.ErrDecrypt) {
		t.Errorf("short: %v", err)
	}
}

func TestUnknownKey(t *testing.T) {
	r1 := ring(t, "k1:"+key(1))
	id, ct, _ := r1.Seal([]byte("s"), []byte("source:tp/a"))
	r2, err := keyring.Load(func(k string) string {
		if k == keyring.EnvKeys {
			return "k2:" + key(2)
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r2.Open(id, ct, []byte("source:tp/a"))
	if !errors.Is(err, keyring.ErrUnknownKey) {
		t.Fatalf("got %v", err)
	}
	want := `the secret of source:tp/a was sealed under key "k1", which LIENTHONG_SECRET_KEYS does not hold: restore that key, or register the secret again`
	if !strings.Contains(err.Error(), want) {
		t.Errorf("message %q lacks %q", err, want)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "keys")
	os.WriteFile(file, []byte("# keys\nk2:"+key(2)+"\n\nk1:"+key(1)+"\n"), 0o600)
	r, err := keyring.Load(func(k string) string {
		if k == keyring.EnvFile {
			return file
		}
		return "ignored"
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Primary() != "k2" || strings.Join(r.IDs(), ",") != "k2,k1" {
		t.Errorf("order %v", r.IDs())
	}
	if _, err := keyring.Load(func(string) string { return "" }); !errors.Is(err, keyring.ErrNoKeys) {
		t.Errorf("no keys: %v", err)
	}
	if _, err := keyring.Load(func(k string) string {
		if k == keyring.EnvFile {
			return filepath.Join(dir, "missing")
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
	// Comma-separated, rotation order: the first is the primary.
	r = ring(t, "k2:"+key(2)+",k1:"+key(1))
	id, ct, _ := r.Seal([]byte("x"), nil)
	if id != "k2" {
		t.Errorf("sealed under %s", id)
	}
	if _, err := ring(t, "k1:"+key(1)+",k2:"+key(2)).Open(id, ct, nil); err != nil {
		t.Errorf("an older ring order opens: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	short := base64.StdEncoding.EncodeToString([]byte("short"))
	for _, tc := range []struct{ name, text, want string }{
		{"wrong length", "k1:" + short, `entry 1 (key "k1"): the key is 5 bytes, want 32`},
		{"bad base64", "k1:" + key(1) + "\nk2:not*base64", `entry 2 (key "k2"): the key is not valid base64`},
		{"duplicate", "k1:" + key(1) + "\nk1:" + key(2), `entry 2: key id "k1" is listed twice`},
		{"no colon", key(1), `write "id:base64"`},
		{"bad id", "K 1:" + key(1), `key id "K 1"`},
		{"empty", "\n# only a comment\n", "holds no key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := keyring.Parse(tc.text)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), key(1)) || strings.Contains(err.Error(), key(2)) {
				t.Errorf("the error shows a key: %v", err)
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	a, err := keyring.Generate()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := keyring.Generate()
	if a == b {
		t.Error("two generated keys are equal")
	}
	r := ring(t, a+"\n"+b)
	if _, ct, err := r.Seal([]byte("x"), nil); err != nil || len(ct) == 0 {
		t.Error(err)
	}
}
