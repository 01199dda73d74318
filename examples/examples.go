// Package examples ships the sample mappings with the binary, so the demo and
// the tests use the very files the documentation shows.
package examples

import "embed"

// Mappings holds mappings/*.yaml: the civil-status register's columns mapped
// to birth_registration (khai-sinh.yaml) and person (cong-dan.yaml).
//
//go:embed mappings/*.yaml
var Mappings embed.FS
