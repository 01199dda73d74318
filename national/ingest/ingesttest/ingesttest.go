// Package ingesttest starts a real national ingest service for tests: a
// certificate authority, certificates and signing keys generated for the
// test, the ingest handler on an httptest TLS server with client
// certificates required, over a fresh PostgreSQL national store
// (internal/testdb). It must not be imported by production code.
package ingesttest

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/national/httpsink"
	"github.com/lienthong/lienthong/national/ingest"
)

// CA is a certificate authority made for one test.
type CA struct {
	Cert    *x509.Certificate
	Key     *ecdsa.PrivateKey
	CertPEM []byte
	dir     string
}

// NewCA makes a CA whose files live in dir.
func NewCA(t testing.TB, dir, name string) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial(t), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &CA{Cert: cert, Key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), dir: dir}
	write(t, filepath.Join(dir, name+"-ca.pem"), ca.CertPEM)
	return ca
}

// CAFile is the CA certificate's PEM file.
func (ca *CA) CAFile() string { return filepath.Join(ca.dir, ca.Cert.Subject.CommonName+"-ca.pem") }

// Issue makes a certificate for cn valid from notBefore to notAfter (a
// server certificate for 127.0.0.1 when server is set) and returns its
// certificate and key files.
func (ca *CA) Issue(t testing.TB, cn string, server bool, notBefore, notAfter time.Time) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial(t), Subject: pkix.Name{CommonName: cn},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		tmpl.DNSNames = []string{"localhost"}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(ca.dir, cn+"-"+serialText(tmpl.SerialNumber))
	certFile, keyFile = base+".pem", base+"-key.pem"
	write(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	write(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
	return certFile, keyFile
}

// SigningKey makes an Ed25519 key pair and writes both halves as PEM
// files; it returns the private key and the files.
func SigningKey(t testing.TB, dir, name string) (priv ed25519.PrivateKey, privFile, pubFile string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p8, _ := x509.MarshalPKCS8PrivateKey(priv)
	px, _ := x509.MarshalPKIXPublicKey(pub)
	privFile, pubFile = filepath.Join(dir, name+".key"), filepath.Join(dir, name+".pub")
	write(t, privFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}))
	write(t, pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: px}))
	return priv, privFile, pubFile
}

// PKI is everything a province and the national side need.
type PKI struct {
	Dir string
	// ProvincesCA signs provinces' client certificates; ServerCA the
	// national service's.
	ProvincesCA, ServerCA *CA
	ServerCert, ServerKey string
	// Province is "ha-tinh": its certificate, key and signing key.
	Province               string
	ClientCert, ClientKey  string
	KeyID                  string
	SignKey                ed25519.PrivateKey
	SignKeyFile, PublicKey string
}

// NewPKI makes a PKI in a temporary directory.
func NewPKI(t testing.TB) *PKI {
	t.Helper()
	dir := t.TempDir()
	p := &PKI{Dir: dir, Province: "ha-tinh", KeyID: "ha-tinh-2026"}
	p.ProvincesCA = NewCA(t, dir, "provinces")
	p.ServerCA = NewCA(t, dir, "national")
	now := time.Now()
	p.ServerCert, p.ServerKey = p.ServerCA.Issue(t, "national-ingest", true, now.Add(-time.Hour), now.Add(24*time.Hour))
	p.ClientCert, p.ClientKey = p.ProvincesCA.Issue(t, p.Province, false, now.Add(-time.Hour), now.Add(24*time.Hour))
	p.SignKey, p.SignKeyFile, p.PublicKey = SigningKey(t, dir, p.KeyID)
	return p
}

// Provinces is the national side's list: the PKI's province and its key.
func (p *PKI) Provinces() []ingest.Province {
	return []ingest.Province{{ID: p.Province, Keys: map[string]ed25519.PublicKey{p.KeyID: p.SignKey.Public().(ed25519.PublicKey)}}}
}

// Server is a running ingest service and its national store.
type Server struct {
	URL     string
	Store   national.Store
	DB      *database.DB
	DSN     string
	Handler *ingest.Handler
	HTTP    *httptest.Server
	PKI     *PKI
}

// Options tune Start.
type Options struct {
	MaxBatchRecords int
	MaxBatchBytes   int64
	MaxInFlight     int
	Log             *slog.Logger
	// Now is the national side's clock for validation; nil is time.Now.
	Now func() time.Time
	// Wrap, when set, wraps the handler (to inject faults).
	Wrap func(http.Handler) http.Handler
}

// Start runs the ingest handler over a fresh PostgreSQL national store on
// an httptest TLS server that requires the provinces' client certificates.
func Start(t testing.TB, p *PKI, o Options) *Server {
	t.Helper()
	ctx := context.Background()
	dsn := testdb.Postgres(t)
	db, err := database.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	store := national.New(db)
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ingest.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	h, err := ingest.New(ingest.Options{Store: store, DB: db, Provinces: p.Provinces(), MaxBatchRecords: o.MaxBatchRecords,
		MaxBatchBytes: o.MaxBatchBytes, MaxInFlight: o.MaxInFlight, Log: o.Log, Now: o.Now})
	if err != nil {
		t.Fatal(err)
	}
	var handler http.Handler = h
	if o.Wrap != nil {
		handler = o.Wrap(h)
	}
	tlsCfg, err := ingest.ServerTLS(p.ServerCert, p.ServerKey, p.ProvincesCA.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(handler)
	srv.TLS = tlsCfg
	if o.Log != nil {
		srv.Config.ErrorLog = slog.NewLogLogger(o.Log.Handler(), slog.LevelWarn)
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &Server{URL: srv.URL, Store: store, DB: db, DSN: dsn, Handler: h, HTTP: srv, PKI: p}
}

// Sink returns a sink to the server with the PKI's province credentials;
// edit modifies its configuration first.
func (s *Server) Sink(t testing.TB, edit func(*httpsink.Config)) *httpsink.Sink {
	t.Helper()
	tlsCfg, err := httpsink.ClientTLS(s.PKI.ClientCert, s.PKI.ClientKey, s.PKI.ServerCA.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	cfg := httpsink.Config{URL: s.URL, KeyID: s.PKI.KeyID, Key: s.PKI.SignKey, TLS: tlsCfg,
		RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: 200 * time.Millisecond}
	if edit != nil {
		edit(&cfg)
	}
	sink, err := httpsink.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sink
}

// ClientTLS is a client TLS configuration with the given certificate.
func (p *PKI) ClientTLS(t testing.TB, certFile, keyFile string) *tls.Config {
	t.Helper()
	c, err := httpsink.ClientTLS(certFile, keyFile, p.ServerCA.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func serial(t testing.TB) *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func serialText(n *big.Int) string { return n.Text(36) }

func write(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
