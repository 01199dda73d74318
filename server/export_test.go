package server

import "time"

// Patterns lists the patterns of every route the server with o serves.
func Patterns(o Options) []string {
	s := &server{Options: o}
	s.routes()
	return s.patterns
}

// Heartbeat sets how often a run's event stream sends a heartbeat.
func Heartbeat(o *Options, d time.Duration) { o.heartbeat = d }
