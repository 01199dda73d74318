// Package vn holds the Vietnamese normalisers that mappings, the file
// connector and validation share: legacy text encodings (TCVN3/ABC, VNI,
// Windows-1258, VIQR, UTF-16) to Unicode NFC and the detection of which one
// a file holds, the repair of one text value that reached a Unicode column
// misread (RepairText), personal names, dates with reduced precision, phone numbers
// across the 2017 and 2018 renumberings, 12-digit personal ID numbers (CCCD)
// with their province codes, and sex codes.
//
// Every function is pure and safe for concurrent use. The package must not do
// I/O, read the clock or keep state between calls: its tables are Go source
// (tables.go is generated from glibc's charmaps by gentables.go, and a test
// checks it against them when they are installed), and a value's meaning
// that depends on time (a phone number, a two-digit year) depends on a date
// the caller passes. The normalisers run on every field of every record, so
// they use no regular expressions and compose Vietnamese letters by table;
// Name, Phone, ParseDate, ParseID and Sex allocate nothing for a value that
// is already clean, and Decode its result and one working buffer.
//
// Failures are *Error values whose Code is one of the Reason constants;
// departments filter rejects on those codes, so they never change.
package vn
