// Package lienthong holds what belongs to the project as a whole rather
// than to one package: the HTTP API's description, docs/openapi.yaml,
// embedded here because go:embed reaches only files at or below the
// embedding package, so the server serves the very file the repository
// documents and the tests validate against (one copy, nothing to keep in
// step).
//
// The package must hold no code.
package lienthong

import _ "embed"

// OpenAPI is docs/openapi.yaml, the OpenAPI 3.1 description of the API
// that lienthong serve answers at GET /v1/openapi.yaml.
//
//go:embed docs/openapi.yaml
var OpenAPI []byte
