package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
)

// ReplacePlaceholders returns data, the JSON of a BINARY_EVENT or
// BINARY_ACK, with every placeholder `{"_placeholder":true,"num":i}`
// replaced by attachment i as a JSON string of standard base64, the form
// encoding/json decodes into a []byte. Object keys keep their order and
// duplicates, so later checks see what the peer sent. A num out of range,
// and an attachment no placeholder names, are errors wrapping
// ErrInvalidPacket.
//
// Placeholders are looked for down to MaxPlaceholderDepth levels of
// nesting: each level re-reads its subtree, so the bound keeps the work
// linear in the payload size. A deeper placeholder stays an object, and
// its attachment counts as unused.
func ReplacePlaceholders(data []byte, attachments [][]byte) ([]byte, error) {
	used := make([]bool, len(attachments))
	out, err := replaceValue(data, attachments, used, MaxPlaceholderDepth)
	if err != nil {
		return nil, err
	}
	for i, u := range used {
		if !u {
			return nil, invalid("attachment %d has no placeholder", i)
		}
	}
	return out, nil
}

// MaxPlaceholderDepth is how deep ReplacePlaceholders looks for placeholders.
const MaxPlaceholderDepth = 32

var placeholderKey = []byte(`"_placeholder"`)

func replaceValue(raw []byte, atts [][]byte, used []bool, depth int) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if depth == 0 || !bytes.Contains(raw, placeholderKey) {
		return raw, nil
	}
	switch firstByte(raw) {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, invalid("%v", err)
		}
		out := []byte{'['}
		for i, item := range items {
			if i > 0 {
				out = append(out, ',')
			}
			v, err := replaceValue(item, atts, used, depth-1)
			if err != nil {
				return nil, err
			}
			out = append(out, v...)
		}
		return append(out, ']'), nil
	case '{':
		return replaceObject(raw, atts, used, depth)
	}
	return raw, nil
}

type member struct {
	key string
	val json.RawMessage
}

func replaceObject(raw []byte, atts [][]byte, used []bool, depth int) ([]byte, error) {
	members, err := splitMembers(raw)
	if err != nil {
		return nil, err
	}
	if num, ok := placeholderNum(members); ok {
		if num < 0 || num >= len(atts) {
			return nil, invalid("placeholder num %d out of range", num)
		}
		used[num] = true
		s := base64.StdEncoding.EncodeToString(atts[num])
		return append(append([]byte{'"'}, s...), '"'), nil
	}
	out := []byte{'{'}
	for i, m := range members {
		if i > 0 {
			out = append(out, ',')
		}
		k, _ := json.Marshal(m.key)
		out = append(append(out, k...), ':')
		v, err := replaceValue(m.val, atts, used, depth-1)
		if err != nil {
			return nil, err
		}
		out = append(out, v...)
	}
	return append(out, '}'), nil
}

// splitMembers lists an object's members in order, duplicates included.
func splitMembers(raw []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, invalid("%v", err)
	}
	var members []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalid("%v", err)
		}
		key, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, invalid("%v", err)
		}
		members = append(members, member{key, val})
	}
	return members, nil
}

// placeholderNum recognizes exactly {"_placeholder":true,"num":<integer>},
// in either order; -1 as num means "a placeholder with a bad num".
func placeholderNum(members []member) (int, bool) {
	if len(members) != 2 {
		return 0, false
	}
	var flag, num []byte
	for _, m := range members {
		switch m.key {
		case "_placeholder":
			flag = m.val
		case "num":
			num = m.val
		}
	}
	if string(bytes.TrimSpace(flag)) != "true" || num == nil {
		return 0, false
	}
	var n int
	if err := json.Unmarshal(num, &n); err != nil || n > MaxAttachments {
		return -1, true
	}
	return n, true
}
