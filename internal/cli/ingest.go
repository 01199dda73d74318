package cli

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/netguard"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/national/httpsink"
	"github.com/lienthong/lienthong/national/ingest"
	"github.com/lienthong/lienthong/server"
)

// nationalSink is the national store over the ingest API that
// national.http configures: the province's side of a two-tier deployment.
func (a *app) nationalSink() (national.Store, error) {
	h := a.cfg.National.HTTP
	tlsCfg, err := httpsink.ClientTLS(h.ClientCert, h.ClientKey, h.CA)
	if err != nil {
		return nil, fmt.Errorf("national.http: %w", err)
	}
	key, err := ingest.LoadPrivateKey(h.SigningKey)
	if err != nil {
		return nil, fmt.Errorf("national.http.signing_key: %w", err)
	}
	nets, err := netguard.ParseNetworks(h.AllowNetworks)
	if err != nil {
		return nil, fmt.Errorf("national.http.allow_networks: %w", err)
	}
	guard := netguard.New(nets, "national.http.allow_networks")
	return httpsink.New(httpsink.Config{
		URL: h.URL, KeyID: h.KeyID, Key: key, TLS: tlsCfg,
		Transport: guard.Transport(http.DefaultTransport.(*http.Transport)),
		Timeout:   h.Timeout, RetryMax: h.RetryMax, RetryWaitMin: h.RetryWaitMin, RetryWaitMax: h.RetryWaitMax,
		MaxInFlight: h.MaxInFlight, MaxBatchRecords: h.MaxBatchRecords,
		BreakerFailures: h.BreakerFailures, BreakerCooldown: h.BreakerCooldown,
		Log: a.log.With("component", "national-sink"), Registerer: a.registry,
	})
}

// startIngest starts the national ingest service on its own TLS listener
// when the configuration has an ingest section, and returns how to stop
// it; without one it does nothing. The batches go to the national store,
// which must be PostgreSQL.
func (a *app) startIngest(ctx context.Context, log *slog.Logger) (stop func(context.Context) error, done <-chan error, err error) {
	in := a.cfg.Ingest
	if in == nil {
		return func(context.Context) error { return nil }, nil, nil
	}
	if len(a.dbs) == 0 || a.dbs[0].Dialect != database.Postgres {
		return nil, nil, errors.New("ingest: the national store must be PostgreSQL (national.dsn_env or national.dsn_file)")
	}
	db := a.dbs[0]
	if err := ingest.Migrate(ctx, db); err != nil {
		return nil, nil, err
	}
	var provinces []ingest.Province
	for _, p := range in.Provinces {
		keys := map[string]ed25519.PublicKey{}
		for _, k := range p.Keys {
			pub, err := ingest.LoadPublicKey(k.PublicKey)
			if err != nil {
				return nil, nil, fmt.Errorf("ingest: province %s key %s: %w", p.ID, k.ID, err)
			}
			keys[k.ID] = pub
		}
		provinces = append(provinces, ingest.Province{ID: p.ID, Keys: keys})
	}
	ilog := log.With("component", "ingest")
	h, err := ingest.New(ingest.Options{Store: a.national, DB: db, Provinces: provinces,
		MaxBatchRecords: in.MaxBatchRecords, MaxBatchBytes: in.MaxBatchBytes, MaxInFlight: in.MaxInFlight,
		Log: ilog, Registerer: a.registry})
	if err != nil {
		return nil, nil, err
	}
	tlsCfg, err := ingest.ServerTLS(in.Cert, in.Key, in.ClientCA)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/national/", h)
	srv := server.HTTPServer(in.Listen, mux)
	srv.TLSConfig = tlsCfg
	// Refused handshakes (an expired or unknown certificate) are logged
	// by net/http through ErrorLog.
	srv.ErrorLog = slog.NewLogLogger(ilog.Handler(), slog.LevelWarn)
	ln, err := net.Listen("tcp", in.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("ingest: listen on %s: %w (set ingest.listen)", in.Listen, err)
	}
	ch := make(chan error, 1)
	go func() { ch <- srv.ServeTLS(ln, "", "") }()
	ilog.Info("national ingest serving", "listen", ln.Addr().String(), "provinces", len(provinces))
	return srv.Shutdown, ch, nil
}
