package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// update rewrites the golden files: go test ./internal/spec -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestGoldenValid parses every testdata/valid/<case>.yaml and compares the
// normalised model, dumped as JSON, with <case>.golden.json.
func TestGoldenValid(t *testing.T) {
	for _, path := range yamlFiles(t, "valid") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			s, err := Parse(filepath.Base(path), readFile(t, path))
			if err != nil {
				t.Fatalf("Parse: unexpected errors:\n%v", err)
			}
			got, err := json.MarshalIndent(dumpSpec(s), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, strings.TrimSuffix(path, ".yaml")+".golden.json", append(got, '\n'))
		})
	}
}

// TestGoldenInvalid parses every testdata/invalid/<case>.yaml and compares
// the full error list with <case>.golden.txt, one error per line.
func TestGoldenInvalid(t *testing.T) {
	files := yamlFiles(t, "invalid")
	if len(files) < 20 {
		t.Errorf("only %d invalid cases; want at least 20", len(files))
	}
	line := regexp.MustCompile(`^[^:]+\.yaml:\d+:\d+: \S`)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			s, err := Parse(filepath.Base(path), readFile(t, path))
			if err == nil {
				t.Fatalf("Parse succeeded (%d events); want errors", len(s.Events))
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 || s != nil {
				t.Fatalf("Parse = %v, %T %v; want nil and a non-empty ErrorList", s, err, err)
			}
			for _, l := range strings.Split(err.Error(), "\n") {
				if !line.MatchString(l) {
					t.Errorf("error line %q is not file:line:col: message", l)
				}
			}
			checkGolden(t, strings.TrimSuffix(path, ".yaml")+".golden.txt", []byte(err.Error()+"\n"))
		})
	}
}

func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/%s/*.yaml files (err %v)", dir, err)
	}
	return files
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/spec -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update if the change is intended)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// The dump types give the golden JSON a stable, readable shape: positions as
// "line:col", a reference by its name rather than the whole named type.

type specDump struct {
	File    string      `json:"file"`
	Version int         `json:"version"`
	Types   []typeDump  `json:"types,omitempty"`
	Auth    *schemaDump `json:"auth,omitempty"`
	Events  []eventDump `json:"events"`
	// Namespaces is omitted when empty, so specs without keep their goldens.
	Namespaces []namespaceDump `json:"namespaces,omitempty"`
}

type namespaceDump struct {
	Name   string      `json:"name"`
	GoName string      `json:"goName"`
	Doc    string      `json:"doc,omitempty"`
	Pos    string      `json:"pos"`
	Auth   *schemaDump `json:"auth,omitempty"`
	Events []eventDump `json:"events"`
}

type typeDump struct {
	Name   string      `json:"name"`
	GoName string      `json:"goName"`
	Doc    string      `json:"doc,omitempty"`
	Pos    string      `json:"pos"`
	Schema *schemaDump `json:"schema"`
}

type eventDump struct {
	Name      string      `json:"name"`
	GoName    string      `json:"goName"`
	Direction Direction   `json:"direction"`
	Doc       string      `json:"doc,omitempty"`
	Pos       string      `json:"pos"`
	Payload   *schemaDump `json:"payload,omitempty"`
	Args      []fieldDump `json:"args,omitempty"`
	Ack       *schemaDump `json:"ack,omitempty"`
}

type schemaDump struct {
	Kind    Kind        `json:"kind"`
	Ref     string      `json:"ref,omitempty"`
	RefKind Kind        `json:"refKind,omitempty"` // what the reference resolves to
	GoName  string      `json:"goName,omitempty"`
	Consts  []string    `json:"enumConsts,omitempty"`
	Doc     string      `json:"doc,omitempty"`
	Pos     string      `json:"pos"`
	Rules   *rulesDump  `json:"rules,omitempty"`
	Fields  []fieldDump `json:"fields,omitempty"`
	Items   *schemaDump `json:"items,omitempty"`

	Values *schemaDump `json:"values,omitempty"`
}

type rulesDump struct {
	MinLength *int     `json:"minLength,omitempty"`
	MaxLength *int     `json:"maxLength,omitempty"`
	Min       *float64 `json:"min,omitempty"`
	Max       *float64 `json:"max,omitempty"`
	Pattern   string   `json:"pattern,omitempty"`
	JSPattern string   `json:"jsPattern,omitempty"`
	Enum      []string `json:"enum,omitempty"`
	Format    Format   `json:"format,omitempty"`
	MinItems  *int     `json:"minItems,omitempty"`
	MaxItems  *int     `json:"maxItems,omitempty"`
	MinBytes  *int     `json:"minBytes,omitempty"`
	MaxBytes  *int     `json:"maxBytes,omitempty"`

	MinProperties *int   `json:"minProperties,omitempty"`
	MaxProperties *int   `json:"maxProperties,omitempty"`
	KeyPattern    string `json:"keyPattern,omitempty"`
	JSKeyPattern  string `json:"jsKeyPattern,omitempty"`
}

type fieldDump struct {
	Name     string      `json:"name"`
	GoName   string      `json:"goName"`
	Required bool        `json:"required"`
	Pos      string      `json:"pos"`
	Schema   *schemaDump `json:"schema"`
}

func dumpPos(p Pos) string { return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col) }

func dumpSpec(s *Spec) specDump {
	d := specDump{File: s.File, Version: s.Version, Auth: dumpSchema(s.Auth), Events: []eventDump{}}
	for _, t := range s.Types {
		d.Types = append(d.Types, typeDump{t.Name, t.GoName, t.Doc, dumpPos(t.Pos), dumpSchema(t.Schema)})
	}
	d.Events = dumpEvents(s.Events)
	for _, ns := range s.Namespaces {
		d.Namespaces = append(d.Namespaces, namespaceDump{ns.Name, ns.GoName, ns.Doc, dumpPos(ns.Pos),
			dumpSchema(ns.Auth), dumpEvents(ns.Events)})
	}
	return d
}

func dumpEvents(events []*Event) []eventDump {
	out := []eventDump{}
	for _, e := range events {
		ed := eventDump{e.Name, e.GoName, e.Direction, e.Doc, dumpPos(e.Pos), dumpSchema(e.Payload), nil, dumpSchema(e.Ack)}
		for _, f := range e.Args {
			ed.Args = append(ed.Args, fieldDump{f.Name, f.GoName, f.Required, dumpPos(f.Pos), dumpSchema(f.Schema)})
		}
		out = append(out, ed)
	}
	return out
}

func dumpSchema(s *Schema) *schemaDump {
	if s == nil {
		return nil
	}
	d := &schemaDump{Kind: s.Kind, Ref: s.Ref, GoName: s.GoName, Consts: s.EnumConsts, Doc: s.Doc, Pos: dumpPos(s.Pos), Items: dumpSchema(s.Items)}
	d.Values = dumpSchema(s.Values)
	if s.Kind == KindRef {
		d.RefKind = s.Resolve().Kind
	}
	r := rulesDump(s.Rules)
	if r.MinLength != nil || r.MaxLength != nil || r.Min != nil || r.Max != nil || r.Pattern != "" ||
		r.Enum != nil || r.Format != "" || r.MinItems != nil || r.MaxItems != nil ||
		r.MinProperties != nil || r.MaxProperties != nil || r.KeyPattern != "" {
		d.Rules = &r
	}
	for _, f := range s.Fields {
		d.Fields = append(d.Fields, fieldDump{f.Name, f.GoName, f.Required, dumpPos(f.Pos), dumpSchema(f.Schema)})
	}
	return d
}
