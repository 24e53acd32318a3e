package protocol

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// SplitEvent splits EVENT data into the event name and its raw arguments
// (aliases data). The name must be a JSON string and is unescaped as
// encoding/json does. Errors wrap ErrInvalidPacket.
func SplitEvent(data []byte) (name string, args []json.RawMessage, err error) {
	if !json.Valid(data) {
		return "", nil, invalid("event payload is not valid JSON")
	}
	s, ok := newArrayScanner(data)
	if !ok {
		return "", nil, invalid("event payload is not a JSON array")
	}
	first, ok := s.next()
	if !ok {
		return "", nil, invalid("event payload is an empty array")
	}
	if name, err = decodeName(first); err != nil {
		return "", nil, err
	}
	// Count first so the result is one exact allocation, and bound the count:
	// a 1 MB frame of `,0` pairs would otherwise cost a 12 MB slice.
	counter := s
	n := 0
	for _, ok := counter.next(); ok; _, ok = counter.next() {
		if n++; n > MaxEventArgs {
			return "", nil, invalid("more than %d event arguments", MaxEventArgs)
		}
	}
	if n == 0 {
		return name, nil, nil
	}
	args = make([]json.RawMessage, 0, n)
	for v, ok := s.next(); ok; v, ok = s.next() {
		args = append(args, json.RawMessage(v))
	}
	return name, args, nil
}

// decodeName unescapes the event name. Names without escapes, the usual
// case, are converted directly; anything else goes through encoding/json so
// escapes and surrogates are handled exactly as the standard library does.
func decodeName(v []byte) (string, error) {
	if len(v) < 2 || v[0] != '"' {
		return "", invalid("event name is not a JSON string")
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), nil
	}
	var name string
	if err := json.Unmarshal(v, &name); err != nil {
		return "", invalid("event name: %v", err)
	}
	return name, nil
}

// arrayScanner yields the elements of a JSON array that json.Valid has
// accepted. It walks the bytes with a depth counter instead of recursing, so
// nesting depth costs nothing; every index is still bounds-checked so a
// misuse on unvalidated input cannot panic.
type arrayScanner struct {
	data []byte
	pos  int // next element's first byte, or len(data) when done
}

func newArrayScanner(data []byte) (arrayScanner, bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return arrayScanner{}, false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		i = len(data)
	}
	return arrayScanner{data: data, pos: i}, true
}

// next returns the next element, whitespace trimmed, with its capacity
// capped so appending to it cannot overwrite the rest of the frame.
func (s *arrayScanner) next() ([]byte, bool) {
	if s.pos >= len(s.data) {
		return nil, false
	}
	start := s.pos
	end := valueEnd(s.data, start)
	i := skipSpace(s.data, end)
	if i < len(s.data) && s.data[i] == ',' {
		s.pos = skipSpace(s.data, i+1)
	} else {
		s.pos = len(s.data) // ']' or, on invalid input, whatever follows
	}
	return s.data[start:end:end], true
}

// valueEnd returns the index just past the JSON value starting at i.
func valueEnd(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			i = stringEnd(b, i) - 1
			if depth == 0 {
				return i + 1
			}
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth <= 0 {
				if depth < 0 {
					return i // a bare closer: the value before it was empty
				}
				return i + 1
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
	}
	return len(b)
}

// stringEnd returns the index just past the closing quote of the JSON string
// whose opening quote is at b[i].
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}
