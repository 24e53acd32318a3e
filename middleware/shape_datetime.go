package middleware

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"
)

// FormatDateTime is the Shape.Format of an RFC 3339 date-time string, which
// generated code decodes into a time.Time.
const FormatDateTime = "date-time"

// checkShapeFormat checks a Shape's Format: only strings have one, and only
// the formats the shape check knows.
func checkShapeFormat(sh *Shape, path string) error {
	switch {
	case sh.Format == "":
		return nil
	case sh.Kind != KindString:
		return fmt.Errorf("%s: format %q on a %s", path, sh.Format, kindName(sh.Kind))
	case sh.Format != FormatDateTime:
		return fmt.Errorf("%s: unknown format %q", path, sh.Format)
	}
	return nil
}

// IsDateTime reports whether s is an RFC 3339 date-time as events.yaml's
// format: date-time accepts it, the grammar the generated JS client checks
// too: YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm), with an upper-case
// T and Z, one or more fraction digits, a real calendar day (February 29
// only in leap years), hour 00-23, minute and second 00-59 (no leap second)
// and an offset of at most 23:59. time.Time's UnmarshalJSON accepts every
// such string.
func IsDateTime(s string) bool {
	// 2006-01-02T15:04:05Z is the shortest form.
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	second, ok6 := digits(s[17:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 ||
		month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || second > 59 {
		return false
	}
	rest := s[19:]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 {
			return false
		}
		rest = rest[n:]
	}
	return isOffset(rest)
}

// isOffset reports whether s is Z, +hh:mm or -hh:mm with hh 00-23, mm 00-59.
func isOffset(s string) bool {
	if s == "Z" {
		return true
	}
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return false
	}
	h, ok1 := digits(s[1:3])
	m, ok2 := digits(s[4:6])
	return ok1 && ok2 && h <= 23 && m <= 59
}

// digits parses a run of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// daysIn is the number of days of month (1-12) in the proleptic Gregorian year.
func daysIn(month, year int) int {
	switch {
	case month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0):
		return 29
	case month == 2:
		return 28
	case slices.Contains([]int{4, 6, 9, 11}, month):
		return 30
	}
	return 31
}

// rawIsDateTime is IsDateTime for a JSON string (quotes included); JSON
// escapes are resolved first, as the decoder does.
func rawIsDateTime(raw []byte) bool {
	var s string
	if slices.Contains(raw, '\\') {
		if json.Unmarshal(raw, &s) != nil {
			return false
		}
		return IsDateTime(s)
	}
	return len(raw) >= 2 && IsDateTime(string(raw[1:len(raw)-1]))
}

// isTimeType reports time.Time and *time.Time, a date-time's Go types.
func isTimeType(t reflect.Type) bool {
	timeType := reflect.TypeFor[time.Time]()
	return t == timeType || t.Kind() == reflect.Pointer && t.Elem() == timeType
}
