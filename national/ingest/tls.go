package ingest

import (
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// ServerTLS is the TLS configuration of the ingest listener: the service's
// certificate and key, and client certificates required and verified
// against the provinces' CA (and their validity period); the handler then
// takes the province from the certificate's subject CN.
func ServerTLS(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("ingest: load the service certificate %s: %w", certFile, err)
	}
	pool, err := LoadPool(clientCAFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert,
		ClientCAs: pool, MinVersion: tls.VersionTLS13}, nil
}

// LoadPool reads a PEM file of CA certificates into a pool holding only
// them (no system roots: the CA is pinned).
func LoadPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("ingest: read CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ingest: %s holds no PEM certificate", file)
	}
	return pool, nil
}

// LoadPublicKey reads an Ed25519 public key from a PEM file ("PUBLIC KEY",
// PKIX).
func LoadPublicKey(file string) (ed25519.PublicKey, error) {
	der, err := readPEM(file, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("ingest: %s: %w", file, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("ingest: %s is not an Ed25519 public key", file)
	}
	return pub, nil
}

// LoadPrivateKey reads an Ed25519 private key from a PEM file ("PRIVATE
// KEY", PKCS #8), as `openssl genpkey -algorithm ed25519` writes it.
func LoadPrivateKey(file string) (ed25519.PrivateKey, error) {
	der, err := readPEM(file, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("ingest: %s: %w", file, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("ingest: %s is not an Ed25519 private key", file)
	}
	return priv, nil
}

func readPEM(file, typ string) ([]byte, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("ingest: read key: %w", err)
	}
	b, _ := pem.Decode(raw)
	if b == nil || b.Type != typ {
		return nil, fmt.Errorf("ingest: %s holds no PEM %q block", file, typ)
	}
	if len(b.Bytes) == 0 {
		return nil, errors.New("ingest: empty key")
	}
	return b.Bytes, nil
}
