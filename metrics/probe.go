package metrics

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// storeCollector probes the stores at scrape time.
type storeCollector struct {
	probes  map[string]func(context.Context) error
	timeout time.Duration
	up      *prometheus.Desc
}

// NewStoreCollector returns a collector that runs each named probe (the
// name is a fixed store name: "national", "state") at every scrape and
// reports lienthong_store_up 1 when it returned nil in time, 0 otherwise.
func NewStoreCollector(probes map[string]func(context.Context) error) prometheus.Collector {
	return &storeCollector{probes: probes, timeout: 5 * time.Second,
		up: prometheus.NewDesc("lienthong_store_up", "1 when the store answered this replica's probe at scrape time, else 0.", []string{"store"}, nil)}
}

// Describe sends the collector's description.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.up }

// Collect runs the probes concurrently, so one store that hangs costs a
// scrape the timeout once, not once per store.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	names := make([]string, 0, len(c.probes))
	for n := range c.probes {
		names = append(names, n)
	}
	slices.Sort(names)
	up := make([]float64, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() {
			if c.probes[n](ctx) == nil {
				up[i] = 1
			}
		})
	}
	wg.Wait()
	for i, n := range names {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up[i], n)
	}
}
