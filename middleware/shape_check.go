package middleware

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
)

// checkArgs checks an inbound event's arguments against its payload Shape
// and returns one Detail per problem (nil when the payload may be decoded).
// The walk follows the Shape, which is finite and acyclic, so its depth is
// the Shape's whatever the client sends.
func checkArgs(payload *Shape, args []json.RawMessage) []Detail {
	if payload == nil {
		if len(args) == 0 {
			return nil
		}
		// An event without payload takes no argument at all.
		return []Detail{newDetail("", "type", "none")}
	}
	switch len(args) {
	case 0:
		return []Detail{newDetail("", "required", "")}
	case 1:
	default:
		return []Detail{newDetail("", "type", kindName(payload.Kind))}
	}
	var w shapeWalker
	w.value(payload, args[0], "", "required")
	return w.details
}

// shapeWalker collects the details of one payload, at most maxDetails.
type shapeWalker struct {
	details []Detail
}

func (w *shapeWalker) full() bool { return len(w.details) >= maxDetails }

func (w *shapeWalker) add(field, rule, param string) {
	if !w.full() {
		w.details = append(w.details, newDetail(field, rule, param))
	}
}

// value checks one JSON value. onNull is the rule a null breaks: "required"
// for required fields and the payload, "type" for array items, "" where null
// is allowed (optional fields).
func (w *shapeWalker) value(sh *Shape, raw []byte, field, onNull string) {
	if w.full() {
		return
	}
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		if sh.Kind == KindAny && onNull == "type" {
			return // an item of any may be any JSON value, null too
		}
		switch onNull {
		case "required":
			w.add(field, "required", "")
		case "type":
			w.add(field, "type", kindName(sh.Kind))
		}
		return
	}
	if !kindMatches(sh.Kind, raw) {
		w.add(field, "type", kindName(sh.Kind))
		return
	}
	if sh.Format == FormatDateTime && !rawIsDateTime(raw) {
		w.add(field, "format", FormatDateTime)
		return
	}
	switch sh.Kind {
	case KindObject:
		w.object(sh, raw, field)
	case KindArray:
		w.array(sh, raw, field)
	case KindMap:
		w.mapValue(sh, raw, field)
	}
}

func (w *shapeWalker) object(sh *Shape, raw []byte, field string) {
	members, unknown, ok := splitObject(sh, raw)
	if !ok {
		// Duplicate keys: encoding/json would merge them, so what the
		// handler saw could differ from what was checked; refuse the object.
		w.add(field, "type", kindName(KindObject))
		return
	}
	for _, f := range sh.Fields {
		path := joinField(field, f.Name)
		v, present := members[f.Name]
		switch {
		case present && f.Required:
			w.value(f.Shape, v, path, "required")
		case present:
			w.value(f.Shape, v, path, "")
		case f.Required:
			w.add(path, "required", "")
		}
	}
	for _, key := range unknown {
		w.add(joinField(field, key), "unknown", "")
	}
}

func (w *shapeWalker) array(sh *Shape, raw []byte, field string) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		w.add(field, "type", kindName(KindArray))
		return
	}
	for i, item := range items {
		if w.full() {
			return
		}
		w.value(sh.Items, item, field+"["+strconv.Itoa(i)+"]", "type")
	}
}

// splitObject returns the object's declared members and, in document order,
// its first maxDetails unknown keys. ok is false for malformed input or a key
// that appears twice.
func splitObject(sh *Shape, raw []byte) (members map[string]json.RawMessage, unknown []string, ok bool) {
	members = make(map[string]json.RawMessage, len(sh.Fields))
	ok = eachMember(raw, func(key string, v json.RawMessage) {
		switch {
		case hasField(sh, key):
			members[key] = v
		case len(unknown) < maxDetails:
			unknown = append(unknown, key)
		}
	})
	if !ok {
		return nil, nil, false
	}
	return members, unknown, true
}

// eachMember calls f with each member of the JSON object raw, in document
// order. It reports false for malformed input or a key that appears twice.
func eachMember(raw []byte, f func(key string, v json.RawMessage)) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // '{'
		return false
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		key, isKey := tok.(string)
		var v json.RawMessage
		if err != nil || !isKey || dec.Decode(&v) != nil || seen[key] {
			return false
		}
		seen[key] = true
		f(key, v)
	}
	return true
}

func hasField(sh *Shape, name string) bool {
	for _, f := range sh.Fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

func joinField(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// kindMatches reports whether a non-null JSON value has the Shape's type.
// Integers must be written as whole numbers that fit an int64 (JavaScript's
// JSON.stringify writes 1.0 as 1), numbers must fit a float64: the decoder
// would fail on anything else.
func kindMatches(k Kind, raw []byte) bool {
	if len(raw) == 0 {
		return false
	}
	switch k {
	case KindString:
		return raw[0] == '"'
	case KindBoolean:
		return string(raw) == "true" || string(raw) == "false"
	case KindObject:
		return raw[0] == '{'
	case KindArray:
		return raw[0] == '['
	case KindBytes:
		return isBase64String(raw)
	case KindAny:
		return true
	case KindMap:
		return raw[0] == '{'
	case KindInteger:
		if bytes.ContainsAny(raw, ".eE") {
			return false
		}
		_, err := strconv.ParseInt(string(raw), 10, 64)
		return err == nil
	case KindNumber:
		if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
			return false
		}
		_, err := strconv.ParseFloat(string(raw), 64)
		return err == nil
	}
	return false
}

// isBase64String reports whether raw is a JSON string holding standard
// base64, which encoding/json decodes into a []byte. JSON escapes are
// resolved first: a client may write "\/" for "/".
func isBase64String(raw []byte) bool {
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return false
	}
	_, err := base64.StdEncoding.DecodeString(s)
	return err == nil
}
