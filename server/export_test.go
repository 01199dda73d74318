package server

// Patterns lists the patterns of every route the server with o serves.
func Patterns(o Options) []string {
	s := &server{Options: o}
	s.routes()
	return s.patterns
}
