// Package vn holds the Vietnamese normalisers that mappings, the file
// connector and validation share: legacy text encodings (TCVN3/ABC, VNI,
// Windows-1258, VIQR, UTF-16) to Unicode NFC, personal names, dates with
// reduced precision, phone numbers across the 2017 and 2018 renumberings,
// 12-digit personal ID numbers (CCCD) and sex codes.
//
// Every function is pure and safe for concurrent use. The package must not do
// I/O: its tables are Go source (tables.go is generated from glibc's
// charmaps by gentables.go, and a test checks it against them when they are
// installed). The normalisers run on every field of every record, so the hot
// paths use no regular expressions and allocate at most the result.
//
// Failures are *Error values whose Code is one of the Reason constants;
// departments filter rejects on those codes, so they never change.
package vn
