package units

import (
	"fmt"
	"time"
)

// vietnam is Indochina Time. Vietnam has kept UTC+7 without daylight saving
// since 1975, so a fixed zone is exact and needs no tzdata on the host.
var vietnam = time.FixedZone("ICT", 7*60*60)

// reform is the private copy of Reform that lookups use, so that a caller
// assigning to Reform cannot change which era a date falls in.
var reform = time.Date(2025, 7, 1, 0, 0, 0, 0, vietnam)

// Reform is the start of 2025-07-01 in Vietnam (UTC+7), when the 2025
// reorganisation took effect. A record dated before it is looked up in the
// pre-2025 lists; one dated at or after it in the current lists. Changing
// this variable has no effect on lookups.
var Reform = reform

// Era says which official list a unit belongs to.
type Era uint8

// The eras of the lists. The zero Era is not valid.
const (
	// Before is the list in force before Reform: 63 provinces, districts,
	// communes.
	Before Era = iota + 1
	// Current is the list in force from Reform: 34 provinces and communes.
	Current
)

// EraOf returns the era a record dated t is looked up in.
func EraOf(t time.Time) Era {
	if t.Before(reform) {
		return Before
	}
	return Current
}

// String returns "before 2025-07-01" or "from 2025-07-01".
func (e Era) String() string {
	switch e {
	case Before:
		return "before 2025-07-01"
	case Current:
		return "from 2025-07-01"
	}
	return fmt.Sprintf("Era(%d)", uint8(e))
}

// Level is the tier of an administrative unit.
type Level uint8

// The levels of units. The zero Level is not valid.
const (
	// Province is a tỉnh or a centrally governed thành phố.
	Province Level = iota + 1
	// District is a quận, huyện, thị xã or provincial thành phố; it exists
	// only in the Before era.
	District
	// Commune is a xã, phường, thị trấn (Before only) or đặc khu (Current
	// only).
	Commune
)

// String returns "province", "district" or "commune".
func (l Level) String() string {
	switch l {
	case Province:
		return "province"
	case District:
		return "district"
	case Commune:
		return "commune"
	}
	return fmt.Sprintf("Level(%d)", uint8(l))
}

// Unit is one administrative unit of one era, as the official list names it
// (NFC, spaces cleaned, the type spelled canonically).
type Unit struct {
	// Code is the official code: 2 digits for a province, 3 for a district,
	// 5 for a commune. The same code can name another unit in the other era.
	Code string
	// Name is the name without its type: "Hà Tĩnh", "Thạch Kênh".
	Name string
	// FullName is Type and Name: "Tỉnh Hà Tĩnh", "Xã Thạch Kênh".
	FullName string
	// Type is the kind of unit: "Tỉnh", "Thành phố", "Quận", "Huyện",
	// "Thị xã", "Xã", "Phường", "Thị trấn" or "Đặc khu".
	Type  string
	Level Level
	// Province is the code of the province the unit is in (its own code for
	// a province).
	Province string
	// District is the code of the district a Before-era commune is in (its
	// own code for a district); empty in the Current era.
	District string
	Era      Era
}

// String returns the code and full name, for messages: "42 Tỉnh Hà Tĩnh".
func (u Unit) String() string { return u.Code + " " + u.FullName }
