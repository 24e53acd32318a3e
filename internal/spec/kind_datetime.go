package spec

import (
	"slices"
	"strings"
)

// dateTimeExcludes are the string rules format: date-time cannot be combined
// with: a date-time is a time.Time in Go, so no validator tag could apply
// them, and the grammar already fixes what the string may be.
func dateTimeExcludes() []string { return []string{"minLength", "maxLength", "pattern", "enum"} }

// checkDateTime reports the string rules s combines with format: date-time.
func (p *parser) checkDateTime(es []entry, s *Schema, ctx schemaCtx) {
	if s.Kind != KindString || s.Rules.Format != FormatDateTime {
		return
	}
	for _, e := range es {
		if !slices.Contains(dateTimeExcludes(), e.key) {
			continue
		}
		fix := "remove " + e.key + ": a date-time is a time.Time in Go, and RFC 3339 already fixes its form"
		if e.key == "enum" {
			fix = "remove enum, or drop format: date-time to keep a plain string enum"
		}
		p.add(e.k, e.key+" cannot be combined with format: date-time in "+ctx.where(), fix)
	}
	s.Rules.MinLength, s.Rules.MaxLength, s.Rules.Pattern, s.Rules.JSPattern, s.Rules.Enum = nil, nil, "", "", nil
}

// timeTypeHint is the fix for a type name that means a point in time, which
// events.yaml writes as a string with format: date-time; "" for other names.
func timeTypeHint(name string) string {
	switch strings.ToLower(name) {
	case "date-time", "datetime", "date_time", "timestamp", "time", "date", "instant":
		return "use type: string with format: date-time"
	}
	return ""
}
