package server

import (
	"net/http"

	"github.com/lienthong/lienthong"
)

// openAPI serves docs/openapi.yaml, the description the tests hold every
// route to.
func (s *server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(lienthong.OpenAPI)
}
