// Package units resolves Vietnamese administrative units (provinces,
// districts, communes) by name or code as of a record's date, and maps units
// of the pre-2025 lists to the units that replaced them.
//
// On 2025-07-01 (Reform) the 63 provinces became 34, the district level ended
// and communes merged. Codes were reused: a new province keeps one of its old
// province codes (Hà Tĩnh stays 42) and a new commune one of its old
// communes' codes, so a code, like a name, means a different unit before and
// after Reform. Every lookup therefore takes the record's date, and every
// Unit carries its Era.
//
// The official lists are files the operator configures (Files). Load reads
// and checks them once and builds the indexes; a Registry is then read-only
// and safe for concurrent use, and its lookups do no I/O and allocate nothing
// when they succeed on NFC input. Problems Load worked around are in
// Registry.Warnings, for the operator to see.
//
// Names are matched the way department data writes them: with or without the
// unit type ("Tỉnh Hà Tĩnh", "Hà Tĩnh", "TP. Hồ Chí Minh", "P. Bắc Hà",
// "TT. Nghèn"), in any case, NFC or NFD, with stray spaces or hyphens, and
// with either tone placement ("Hoà"/"Hòa", "Thuỵ"/"Thụy"). Only when nothing
// matches exactly does a lookup ignore diacritics, and then it accepts a single
// candidate only, because many communes differ by a tone mark alone. A type
// written in the input breaks ties ("Xã Yên Viên" against "Thị trấn Yên
// Viên") but does not reject a unit whose type changed. A value made only of
// digits is a code, with or without leading zeros.
//
// Before Reform a commune name can repeat within a province (Xã Đồng Văn
// is in three districts of Nghệ An); CommuneIn and CurrentIn take the
// district the record gives, the old one, to single it out, and only a
// value still ambiguous with it is an error.
//
// The package must not embed, copy or download the lists, do I/O outside
// Load, or guess: a value that fits several units is an ambiguous_admin_unit
// error listing them, never the first of them.
package units
