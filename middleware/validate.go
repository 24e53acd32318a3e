package middleware

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/go-playground/validator/v10"
)

// payloadValidator wraps the one validator/v10 instance of a Server (it
// caches struct metadata, so one per Server, not one per call) and turns its
// errors into Details.
type payloadValidator struct {
	v        *validator.Validate
	patterns map[string]string // tag -> regex source, for pattern details
	maps     map[string]bool   // the tags of Schema.Maps
}

func newPayloadValidator(patterns map[string]string) (*payloadValidator, error) {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(jsonName)
	pv := &payloadValidator{v: v, patterns: make(map[string]string, len(patterns))}
	for tag, src := range patterns {
		if err := pv.registerPattern(tag, src); err != nil {
			return nil, fmt.Errorf("eventwire: schema: pattern %q: %w", tag, err)
		}
	}
	return pv, nil
}

// registerPattern adds a custom tag matching a precompiled RE2 pattern. The
// "ew_" prefix keeps a schema from replacing a built-in tag such as "min".
func (pv *payloadValidator) registerPattern(tag, src string) error {
	if !strings.HasPrefix(tag, "ew_") {
		return errors.New(`tag name must start with "ew_"`)
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return err
	}
	err = pv.v.RegisterValidation(tag, func(fl validator.FieldLevel) bool {
		f := fl.Field()
		return f.Kind() == reflect.String && re.MatchString(f.String())
	})
	if err != nil {
		return err
	}
	pv.patterns[tag] = src
	return nil
}

// jsonName makes validator name fields by their JSON key, so its namespaces
// are the JSON paths the client knows ("tags[2].name").
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// validateMode says how a payload type is validated.
type validateMode uint8

const (
	validateNone      validateMode = iota
	validateStruct                 // T is a struct: pass &v
	validateStructPtr              // T is *struct: pass v
	validateVar                    // anything else: Var(v, tag)
)

func modeFor(t reflect.Type, tag string) validateMode {
	switch {
	case isTimeType(t):
		return validateNone // a date-time, checked by the shape check; validator refuses a bare time.Time
	case t.Kind() == reflect.Struct:
		return validateStruct
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct:
		return validateStructPtr
	case tag != "":
		return validateVar
	}
	return validateNone
}

// check validates v (already in the form mode expects). It returns an
// invalid_payload *Error for rule violations and a plain error for misuse.
func (pv *payloadValidator) check(ctx context.Context, v any, mode validateMode, tag, root string) error {
	var err error
	var failures *mapFailures
	if len(pv.maps) > 0 {
		failures = &mapFailures{}
		ctx = context.WithValue(ctx, mapFailuresKey{}, failures)
	}
	switch mode {
	case validateNone:
		return nil
	case validateStruct, validateStructPtr:
		err = pv.v.StructCtx(ctx, v)
	case validateVar:
		err = pv.v.VarCtx(ctx, v, tag)
	}
	var ves validator.ValidationErrors
	if errors.As(err, &ves) {
		return errInvalidPayload(pv.detailsWithMaps(ves, root, failures))
	}
	return err
}

// details maps validator errors to Details. root is the struct type name
// validator puts in front of every namespace ("" for Var).
func (pv *payloadValidator) details(ves validator.ValidationErrors, root string) []Detail {
	ds := make([]Detail, 0, min(len(ves), maxDetails))
	for _, fe := range ves[:min(len(ves), maxDetails)] {
		field := fe.Namespace()
		if root != "" {
			field = strings.TrimPrefix(field, root+".")
		}
		rule, param := pv.rule(fe)
		ds = append(ds, newDetail(field, rule, param))
	}
	return ds
}

// rule translates a validator tag into the events.yaml vocabulary; min and
// max mean characters on strings, bytes on []byte, items on other slices,
// values on numbers.
func (pv *payloadValidator) rule(fe validator.FieldError) (rule, param string) {
	tag := fe.Tag()
	if src, ok := pv.patterns[tag]; ok {
		return "pattern", src
	}
	switch tag {
	case "min", "gte":
		return sizedRule(fe.Type(), "minLength", "minItems", "minBytes", "min"), fe.Param()
	case "max", "lte":
		return sizedRule(fe.Type(), "maxLength", "maxItems", "maxBytes", "max"), fe.Param()
	case "oneof":
		return "enum", fe.Param()
	case "email", "url", "uuid":
		return "format", tag
	case "required":
		return "required", ""
	}
	return tag, fe.Param()
}

// sizedRule names a min or max rule by what it measures; a []byte is
// events.yaml's bytes, measured in bytes, not items.
func sizedRule(t reflect.Type, str, items, bytes, num string) string {
	if t == nil {
		return num
	}
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
		return bytes
	}
	switch t.Kind() {
	case reflect.String:
		return str
	case reflect.Slice, reflect.Array, reflect.Map:
		return items
	}
	return num
}
