package httpsink

import (
	"crypto/tls"
	"fmt"

	"github.com/lienthong/lienthong/national/ingest"
)

// ClientTLS is the sink's TLS configuration: the province's client
// certificate and key, and the national side's CA pinned (the system's
// roots are not trusted).
func ClientTLS(certFile, keyFile, caFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("httpsink: load the client certificate %s: %w", certFile, err)
	}
	pool, err := ingest.LoadPool(caFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS13}, nil
}
