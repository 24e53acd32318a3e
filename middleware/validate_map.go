package middleware

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/go-playground/validator/v10"
)

// MapRule is what the custom validator tag of a map (Schema.Maps) checks:
// its size, its keys, and the rules of its values. Counts are written as
// the details' param shows them ("" for none).
//
// validator/v10's own min, max and dive,keys,...,endkeys would check the
// same things, but it walks a map in Go's random order and names an entry
// tags[key] whatever the key holds; this check walks the keys in sorted
// order and names them as mapKeyPath does, so the details are the same, in
// the same order, as the generated JavaScript client's.
type MapRule struct {
	MinProperties string // the fewest entries, e.g. "1"
	MaxProperties string // the most entries
	KeyPattern    string // RE2 every key must match, unanchored
	// Values is the validator tag of a value that is not a struct, e.g.
	// "max=40" or "dive,min=1"; a struct value is checked with its own
	// field tags.
	Values string
}

// mapRule is a MapRule ready to check.
type mapRule struct {
	min, max   int // -1: none
	minS, maxS string
	keySrc     string
	key        *regexp.Regexp
	values     string
}

// mapFailuresKey carries a *mapFailures in the context of one validation.
type mapFailuresKey struct{}

// mapFailures are the details of each map that failed its tag, in the
// order validator/v10 reported the failures: validator's custom checks
// return only a bool, so the details travel beside it.
type mapFailures struct {
	blocks [][]Detail
}

// registerMaps registers the custom tag of each map rule.
func (pv *payloadValidator) registerMaps(rules map[string]MapRule) error {
	pv.maps = make(map[string]bool, len(rules))
	for _, tag := range slices.Sorted(maps.Keys(rules)) {
		if err := pv.registerMap(tag, rules[tag]); err != nil {
			return fmt.Errorf("eventwire: schema: map rule %q: %w", tag, err)
		}
	}
	return nil
}

func (pv *payloadValidator) registerMap(tag string, r MapRule) error {
	if !strings.HasPrefix(tag, "ew_") {
		return errors.New(`tag name must start with "ew_"`)
	}
	mr := &mapRule{min: -1, max: -1, minS: r.MinProperties, maxS: r.MaxProperties, keySrc: r.KeyPattern, values: r.Values}
	var err error
	if mr.min, err = countParam(r.MinProperties); err != nil {
		return fmt.Errorf("MinProperties: %w", err)
	}
	if mr.max, err = countParam(r.MaxProperties); err != nil {
		return fmt.Errorf("MaxProperties: %w", err)
	}
	if r.KeyPattern != "" {
		if mr.key, err = regexp.Compile(r.KeyPattern); err != nil {
			return err
		}
	}
	err = pv.v.RegisterValidationCtx(tag, func(ctx context.Context, fl validator.FieldLevel) bool {
		ds := pv.checkMap(ctx, fl.Field(), mr)
		if len(ds) == 0 {
			return true
		}
		if f, ok := ctx.Value(mapFailuresKey{}).(*mapFailures); ok {
			f.blocks = append(f.blocks, ds)
		}
		return false
	})
	if err != nil {
		return err
	}
	pv.maps[tag] = true
	return nil
}

// countParam reads a MinProperties or MaxProperties: -1 for "".
func countParam(s string) (int, error) {
	if s == "" {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err == nil && n < 0 {
		err = errors.New("negative")
	}
	return n, err
}

// checkMap checks map m against r: its size first (a map of the wrong size
// is one detail, at the map), then each entry in key order: a key that
// breaks keyPattern is one detail at the key's path, otherwise the value's
// rules. Paths are relative to the map ("" is the map itself).
func (pv *payloadValidator) checkMap(ctx context.Context, m reflect.Value, r *mapRule) []Detail {
	if m.Kind() == reflect.Pointer {
		m = m.Elem()
	}
	if m.Kind() != reflect.Map || m.Type().Key().Kind() != reflect.String {
		return []Detail{newDetail("", "type", kindName(KindMap))}
	}
	switch n := m.Len(); {
	case r.min >= 0 && n < r.min:
		return []Detail{newDetail("", "minProperties", r.minS)}
	case r.max >= 0 && n > r.max:
		return []Detail{newDetail("", "maxProperties", r.maxS)}
	}
	keys := make([]reflect.Value, 0, m.Len())
	for it := m.MapRange(); it.Next(); {
		keys = append(keys, it.Key())
	}
	slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
	var out []Detail
	for _, k := range keys {
		if len(out) >= maxDetails {
			break
		}
		path := mapKeyPath("", k.String())
		if r.key != nil && !r.key.MatchString(k.String()) {
			out = append(out, newDetail(path, "keyPattern", r.keySrc))
			continue
		}
		for _, d := range pv.valueDetails(ctx, m.MapIndex(k), r.values) {
			out = append(out, newDetail(joinDetailPath(path, d.Field), d.Rule, d.Param))
		}
	}
	return out[:min(len(out), maxDetails)]
}

// valueDetails validates one map value: a struct by its field tags,
// anything else by tag. Paths are relative to the value.
func (pv *payloadValidator) valueDetails(ctx context.Context, v reflect.Value, tag string) []Detail {
	mode := modeFor(v.Type(), tag)
	target := v.Interface()
	if mode == validateStruct {
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		target = p.Interface()
	}
	err := pv.check(ctx, target, mode, tag, rootName(v.Type()))
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Details
	}
	if err != nil {
		// Misuse (a bad tag) is caught when the types are registered;
		// report it rather than pass the value.
		return []Detail{newDetail("", "type", kindName(KindMap))}
	}
	return nil
}

// joinDetailPath puts the path child, relative to an entry, after the
// entry's path: "" is the entry itself, "[0]" and `["k"]` follow directly,
// a field or identifier key after a dot.
func joinDetailPath(parent, child string) string {
	switch {
	case child == "":
		return parent
	case parent == "":
		return child
	case strings.HasPrefix(child, "["):
		return parent + child
	}
	return parent + "." + child
}

// detailsWithMaps is details for errors that may come from map tags: each
// one's details, kept beside it in failures, are put in its place with
// the map's path in front.
func (pv *payloadValidator) detailsWithMaps(ves validator.ValidationErrors, root string, failures *mapFailures) []Detail {
	if failures == nil {
		return pv.details(ves, root)
	}
	ds := make([]Detail, 0, min(len(ves), maxDetails))
	for i := range ves {
		d := pv.details(ves[i:i+1], root)[0]
		if !pv.maps[ves[i].Tag()] || len(failures.blocks) == 0 {
			ds = append(ds, d)
			continue
		}
		block := failures.blocks[0]
		failures.blocks = failures.blocks[1:]
		for _, inner := range block {
			ds = append(ds, newDetail(joinDetailPath(d.Field, inner.Field), inner.Rule, inner.Param))
		}
	}
	return ds[:min(len(ds), maxDetails)]
}
