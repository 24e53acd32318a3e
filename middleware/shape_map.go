package middleware

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// A map's entries are checked in the byte order of their keys, which for
// the valid UTF-8 keys a JSON decoder yields is code-point order: the
// generated JavaScript client sorts by code point too, so both report the
// same details in the same order whatever order the keys were sent in.

// mapValue checks a JSON object of arbitrary keys against a map Shape.
func (w *shapeWalker) mapValue(sh *Shape, raw []byte, field string) {
	entries, ok := mapEntries(raw)
	if !ok {
		// Duplicate keys: encoding/json would keep the last one, so what
		// the handler saw could differ from what was checked.
		w.add(field, "type", kindName(KindMap))
		return
	}
	for _, e := range entries {
		if w.full() {
			return
		}
		w.value(sh.Values, e.value, mapKeyPath(field, e.key), "type")
	}
}

// mapEntry is one member of a JSON object.
type mapEntry struct {
	key   string
	value json.RawMessage
}

// mapEntries returns the members of a JSON object sorted by key. ok is
// false for malformed input or a key that appears twice.
func mapEntries(raw []byte) (entries []mapEntry, ok bool) {
	if !eachMember(raw, func(key string, v json.RawMessage) { entries = append(entries, mapEntry{key, v}) }) {
		return nil, false
	}
	slices.SortFunc(entries, func(a, b mapEntry) int { return strings.Compare(a.key, b.key) })
	return entries, true
}

// mapKeyPath is the detail path of the entry key of the map at parent:
// parent.key when key is an identifier (a letter, then letters, digits and
// _, as field names are), otherwise parent["key"] with the key quoted as
// JavaScript's JSON.stringify quotes it (see quoteKey). A map at the root
// names its entries key or ["key"].
func mapKeyPath(parent, key string) string {
	if isIdentKey(key) {
		return joinField(parent, key)
	}
	return parent + "[" + quoteKey(key) + "]"
}

// isIdentKey reports whether key is written after a dot in a detail path.
func isIdentKey(key string) bool {
	if key == "" || !isASCIILetter(key[0]) {
		return false
	}
	for i := 1; i < len(key); i++ {
		c := key[i]
		if !isASCIILetter(c) && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// quoteKey quotes key exactly as JSON.stringify does for a well-formed
// string: " and \ escaped, \b \f \n \r \t, other control characters below
// U+0020 as \u00XX in lower-case hex, everything else (U+2028, U+2029,
// <, >, &, non-ASCII) as it is. encoding/json escapes more, so it is not
// used. A byte that is not UTF-8 (never in a key a JSON decoder gives) is
// written as U+FFFD, the character decoding it yields.
func quoteKey(key string) string {
	var b strings.Builder
	b.Grow(len(key) + 2)
	b.WriteByte('"')
	for _, r := range key {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&0xf])
		default:
			b.WriteRune(r) // utf8.RuneError for a bad byte
		}
	}
	b.WriteByte('"')
	return b.String()
}

// checkMapShape checks the Values of a map Shape: set exactly for maps, and
// holding no bytes, since attachments are placed only at fields and array
// items (the spec refuses bytes in a map's values).
func checkMapShape(sh *Shape, path string) error {
	switch {
	case (sh.Kind == KindMap) != (sh.Values != nil):
		return errors.New(path + ": values must be set exactly for maps")
	case sh.Kind == KindMap && shapeHoldsBytes(sh.Values):
		return errors.New(path + ": a map's values cannot hold bytes")
	}
	return nil
}
