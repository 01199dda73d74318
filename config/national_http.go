package config

import (
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/lienthong/lienthong/internal/netguard"
)

// NationalHTTP is a national store reached over the national ingest API
// (docs/national-api.yaml) instead of a database: national.http in
// lienthong.yaml. A province pushes to a national service it does not own.
type NationalHTTP struct {
	// URL is the national ingest service, https://host:port.
	URL string `yaml:"url"`
	// ClientCert and ClientKey are the province's TLS client certificate
	// and key (PEM files); CA is the national side's CA, pinned.
	ClientCert string `yaml:"client_cert"`
	ClientKey  string `yaml:"client_key"`
	CA         string `yaml:"ca"`
	// KeyID names the signing key at the national side; SigningKey is the
	// Ed25519 private key's PEM file (PKCS #8, `openssl genpkey -algorithm
	// ed25519`).
	KeyID      string `yaml:"key_id"`
	SigningKey string `yaml:"signing_key"`
	// Timeout bounds one attempt of a request (default 60s).
	Timeout time.Duration `yaml:"timeout"`
	// RetryMax, RetryWaitMin and RetryWaitMax are the retries of a failed
	// request (defaults 6, 500ms, 30s).
	RetryMax     int           `yaml:"retry_max"`
	RetryWaitMin time.Duration `yaml:"retry_wait_min"`
	RetryWaitMax time.Duration `yaml:"retry_wait_max"`
	// MaxInFlight bounds the requests out at once (default 4).
	MaxInFlight int `yaml:"max_in_flight"`
	// MaxBatchRecords caps the records of one request below the national
	// side's limit.
	MaxBatchRecords int `yaml:"max_batch_records"`
	// BreakerFailures failed batches in a row pause the streams for
	// BreakerCooldown (defaults 5, 1m).
	BreakerFailures int           `yaml:"breaker_failures"`
	BreakerCooldown time.Duration `yaml:"breaker_cooldown"`
	// AllowNetworks lists the private or loopback networks the national
	// service may be reached in (internal/netguard); public addresses are
	// always allowed, link-local and metadata addresses never.
	AllowNetworks []string `yaml:"allow_networks"`
}

// Ingest makes lienthong serve also the national ingest service: the
// `ingest` section of lienthong.yaml, on the national side of a two-tier
// deployment. Batches are applied to the national store, which must be
// PostgreSQL.
type Ingest struct {
	// Listen is the TLS listener's address (default 0.0.0.0:8443).
	Listen string `yaml:"listen"`
	// Cert and Key are the service's certificate and key; ClientCA the CA
	// that signs the provinces' client certificates (PEM files).
	Cert     string `yaml:"cert"`
	Key      string `yaml:"key"`
	ClientCA string `yaml:"client_ca"`
	// MaxBatchRecords and MaxBatchBytes bound a batch (defaults 5000,
	// 32 MiB); MaxInFlight the batches applied at once (default 8).
	MaxBatchRecords int   `yaml:"max_batch_records"`
	MaxBatchBytes   int64 `yaml:"max_batch_bytes"`
	MaxInFlight     int   `yaml:"max_in_flight"`
	// Provinces are who may push.
	Provinces []IngestProvince `yaml:"provinces"`
}

// IngestProvince is a province allowed to push: its ID is its client
// certificate's subject CN.
type IngestProvince struct {
	ID   string      `yaml:"id"`
	Keys []IngestKey `yaml:"keys"`
}

// IngestKey is a province's signing key: its id and its Ed25519 public key
// (a PEM file).
type IngestKey struct {
	ID        string `yaml:"id"`
	PublicKey string `yaml:"public_key"`
}

// resolveNational makes the files of national.http and ingest relative to
// the configuration's directory.
func resolveNational(c *Config, dir string) {
	if h := c.National.HTTP; h != nil {
		for _, p := range []*string{&h.ClientCert, &h.ClientKey, &h.CA, &h.SigningKey} {
			*p = resolve(dir, *p)
		}
	}
	if in := c.Ingest; in != nil {
		for _, p := range []*string{&in.Cert, &in.Key, &in.ClientCA} {
			*p = resolve(dir, *p)
		}
		for i := range in.Provinces {
			for j := range in.Provinces[i].Keys {
				k := &in.Provinces[i].Keys[j]
				k.PublicKey = resolve(dir, k.PublicKey)
			}
		}
	}
}

// validateNational checks national.http and ingest.
func (d *document) validateNational(c *Config) {
	if h := c.National.HTTP; h != nil {
		if c.National.DSNEnv != "" || c.National.DSNFile != "" {
			d.addAt("national.http", "give either a database (dsn_env, dsn_file) or http, not both")
		}
		if u, err := url.Parse(h.URL); err != nil || u.Scheme != "https" || u.Host == "" {
			d.addAt("national.http.url", fmt.Sprintf("%q must be an https:// URL of the national ingest service", h.URL))
		}
		for key, v := range map[string]string{"client_cert": h.ClientCert, "client_key": h.ClientKey, "ca": h.CA,
			"key_id": h.KeyID, "signing_key": h.SigningKey} {
			if v == "" {
				d.required("national.http", key, "mutual TLS and request signatures need it")
			}
		}
		if _, err := netguard.ParseNetworks(h.AllowNetworks); err != nil {
			d.addAt("national.http.allow_networks", err.Error())
		}
		for key, v := range map[string]int{"retry_max": h.RetryMax, "max_in_flight": h.MaxInFlight,
			"max_batch_records": h.MaxBatchRecords, "breaker_failures": h.BreakerFailures} {
			if v < 0 {
				d.addAt("national.http."+key, "must not be negative")
			}
		}
	}
	if c.State.HTTP != nil {
		d.addAt("state.http", "the state store is a database of lienthong's own: give dsn_env or dsn_file")
	}
	in := c.Ingest
	if in == nil {
		return
	}
	if in.Listen == "" {
		in.Listen = "0.0.0.0:8443"
	}
	if _, _, err := net.SplitHostPort(in.Listen); err != nil {
		d.addAt("ingest.listen", fmt.Sprintf("%q is not host:port", in.Listen))
	}
	for key, v := range map[string]string{"cert": in.Cert, "key": in.Key, "client_ca": in.ClientCA} {
		if v == "" {
			d.required("ingest", key, "the ingest service needs mutual TLS")
		}
	}
	if len(in.Provinces) == 0 {
		d.required("ingest", "provinces", "list the provinces allowed to push")
	}
	seen := map[string]bool{}
	for i, p := range in.Provinces {
		path := index("ingest.provinces", i)
		switch {
		case p.ID == "":
			d.required(path, "id", "the province's certificate CN, such as ha-tinh")
		case !nameRE.MatchString(p.ID):
			d.addAt(path+".id", fmt.Sprintf(`invalid province id %q: use lowercase letters a-z, digits, "-" and "_"`, p.ID))
		case seen[p.ID]:
			d.addAt(path+".id", fmt.Sprintf("province %q is listed twice", p.ID))
		}
		seen[p.ID] = true
		if len(p.Keys) == 0 {
			d.required(path, "keys", "list the province's signing keys")
		}
		for j, k := range p.Keys {
			kp := index(path+".keys", j)
			if k.ID == "" {
				d.required(kp, "id", "")
			}
			if k.PublicKey == "" {
				d.required(kp, "public_key", "give the PEM file of the Ed25519 public key")
			}
		}
	}
}
