package config_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/config"
)

func TestNationalHTTP(t *testing.T) {
	const push = `national:
  http:
    url: https://national.example.gov.vn:8443
    client_cert: pki/ha-tinh.pem
    client_key: pki/ha-tinh-key.pem
    ca: pki/national-ca.pem
    key_id: ha-tinh-2026
    signing_key: pki/ha-tinh.key
    breaker_cooldown: 30s
    allow_networks: [10.20.0.0/16]
`
	c, err := config.Parse("conf/lienthong.yaml", []byte(push+valid), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	h := c.National.HTTP
	if h == nil || h.ClientCert != filepath.Join("conf", "pki", "ha-tinh.pem") || h.BreakerCooldown.String() != "30s" {
		t.Fatalf("national.http = %+v, want its files relative to the configuration", h)
	}
	for _, tt := range []struct{ name, yaml, want string }{
		{"http url", strings.Replace(push, "https://national", "http://national", 1), `national.http.url: "http://national.example.gov.vn:8443" must be an https:// URL`},
		{"missing key", strings.Replace(push, "    signing_key: pki/ha-tinh.key\n", "", 1), `missing required key "signing_key"`},
		{"bad network", strings.Replace(push, "10.20.0.0/16", "10.20.0.0/99", 1), "national.http.allow_networks"},
		{"state over http", "state:\n  http:\n    url: https://x\n", "state.http: the state store is a database"},
		{"ingest without provinces", "ingest:\n  cert: a.pem\n  key: a-key.pem\n  client_ca: ca.pem\n", `missing required key "provinces"`},
		{"province twice", "ingest:\n  cert: a.pem\n  key: k.pem\n  client_ca: ca.pem\n  provinces:\n    - id: ha-tinh\n      keys: [{id: k1, public_key: k1.pub}]\n    - id: ha-tinh\n      keys: [{id: k2, public_key: k2.pub}]\n", `province "ha-tinh" is listed twice`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("lienthong.yaml", []byte(tt.yaml+valid), testEnv)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
	// The national ingest role syncs nothing of its own.
	c, err = config.Parse("lienthong.yaml", []byte("ingest:\n  cert: a.pem\n  key: k.pem\n  client_ca: ca.pem\n  provinces:\n    - id: ha-tinh\n      keys: [{id: k1, public_key: k1.pub}]\n"), testEnv)
	if err != nil || c.Ingest.Listen != "0.0.0.0:8443" {
		t.Fatalf("ingest without departments: %v %+v", err, c)
	}
}
