// Package gencmd is the eventwire gen command behind the thin gen/main.go:
// it reads settings (flags, then EVENTWIRE_GEN_* variables, then a config
// file), loads the spec, renders it with internal/codegen and writes the
// files whose bytes changed, or with -check only reports them.
//
//	os.Exit(gencmd.Run(os.Args[1:], os.Stdout, os.Stderr))
package gencmd

import (
	"errors"
	"flag"
	"fmt"
	"go/token"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/viper"

	"github.com/eventwire/eventwire/internal/codegen"
	"github.com/eventwire/eventwire/internal/spec"
)

// Exit codes of Run.
const (
	ExitOK    = 0
	ExitFail  = 1 // a bad spec, stale files under -check, a write error
	ExitUsage = 2 // bad flags or settings
)

// settings are the resolved inputs of one run.
type settings struct {
	spec, out, pkg string
	check          bool
	// asyncapi is the AsyncAPI file to write ("" for none), with its
	// info.version and server host.
	asyncapi, asyncapiVersion, asyncapiHost string
}

// Run runs the command with args (without the program name) and returns
// its exit code. Errors go to stderr; nothing is written unless every step
// before writing succeeded.
func Run(args []string, stdout, stderr io.Writer) int {
	st, err := parseSettings(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case err != nil:
		fmt.Fprintln(stderr, "eventwire gen:", err)
		return ExitUsage
	}
	s, err := spec.Load(st.spec)
	if err != nil {
		printErrors(stderr, err)
		return ExitFail
	}
	files, err := outputs(s, st)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return ExitFail
	}
	if st.check {
		return check(files, stdout, stderr)
	}
	if err := write(files); err != nil {
		fmt.Fprintln(stderr, err)
		return ExitFail
	}
	return ExitOK
}

// outputs renders every file of the run by path: the package's files
// under out and the AsyncAPI document when asked for.
func outputs(s *spec.Spec, st settings) (map[string][]byte, error) {
	rendered, err := codegen.Render(s, codegen.Options{Package: st.pkg, Source: sourceName(st.spec, st.out)})
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for name, b := range rendered {
		files[filepath.Join(st.out, name)] = b
	}
	if st.asyncapi == "" {
		return files, nil
	}
	doc, err := codegen.AsyncAPI(s, st.asyncapi, codegen.AsyncAPIOptions{
		Title: st.pkg, Version: st.asyncapiVersion, Host: st.asyncapiHost,
		Source: sourceName(st.spec, filepath.Dir(st.asyncapi)),
	})
	if err != nil {
		return nil, err
	}
	files[st.asyncapi] = doc
	return files, nil
}

// sourceName is the spec's path as the generated files' header names it:
// relative to the output directory, with slashes, so the files are the
// same (and -check says the same) from whatever directory gen runs in.
func sourceName(spec, out string) string {
	absSpec, err1 := filepath.Abs(spec)
	absOut, err2 := filepath.Abs(out)
	if err1 != nil || err2 != nil {
		return filepath.ToSlash(filepath.Base(spec))
	}
	rel, err := filepath.Rel(absOut, absSpec)
	if err != nil {
		return filepath.ToSlash(filepath.Base(spec))
	}
	return filepath.ToSlash(rel)
}

// parseSettings resolves each setting from its flag when given, else from
// EVENTWIRE_GEN_<KEY>, else from the -config file's key.
func parseSettings(args []string, stderr io.Writer) (settings, error) {
	fs := flag.NewFlagSet("eventwire gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	specFlag := fs.String("spec", "", "the events.yaml to generate from (config key spec, env EVENTWIRE_GEN_SPEC)")
	outFlag := fs.String("out", "", "the directory of the generated package (config key out, env EVENTWIRE_GEN_OUT)")
	pkgFlag := fs.String("package", "", "the Go package name; default the base name of -out (config key package, env EVENTWIRE_GEN_PACKAGE)")
	checkFlag := fs.Bool("check", false, "write nothing; exit 1 listing generated files that are missing or stale")
	asyncapiFlag := fs.String("asyncapi", "", "also write an AsyncAPI 3.0 document of the spec to this .yaml, .yml or .json file (config key asyncapi, env EVENTWIRE_GEN_ASYNCAPI)")
	asyncapiVersionFlag := fs.String("asyncapi-version", "", "the document's info.version; default "+codegen.DefaultAsyncAPIVersion+" (config key asyncapi-version, env EVENTWIRE_GEN_ASYNCAPI_VERSION)")
	asyncapiHostFlag := fs.String("asyncapi-host", "", "the document's server host[:port]; default "+codegen.DefaultAsyncAPIHost+" (config key asyncapi-host, env EVENTWIRE_GEN_ASYNCAPI_HOST)")
	configFlag := fs.String("config", "", "a config file (yaml, json or toml) with the keys spec, out, package and asyncapi*")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: eventwire gen -spec FILE -out DIR [-package NAME] [-asyncapi FILE] [-check] [-config FILE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return settings{}, err
	}
	if fs.NArg() > 0 {
		return settings{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	v := viper.New()
	v.SetEnvPrefix("EVENTWIRE_GEN")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_")) // asyncapi-version -> EVENTWIRE_GEN_ASYNCAPI_VERSION
	v.AutomaticEnv()
	if *configFlag != "" {
		v.SetConfigFile(*configFlag)
		if err := v.ReadInConfig(); err != nil {
			return settings{}, fmt.Errorf("config %s: %w", *configFlag, err)
		}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	pick := func(name, flagValue string) string {
		if given[name] {
			return flagValue
		}
		return v.GetString(name)
	}
	st := settings{spec: pick("spec", *specFlag), out: pick("out", *outFlag), pkg: pick("package", *pkgFlag), check: *checkFlag,
		asyncapi: pick("asyncapi", *asyncapiFlag), asyncapiVersion: pick("asyncapi-version", *asyncapiVersionFlag),
		asyncapiHost: pick("asyncapi-host", *asyncapiHostFlag)}
	return st, st.complete()
}

// complete checks the settings and defaults the package name.
func (st *settings) complete() error {
	if st.spec == "" || st.out == "" {
		return errors.New("-spec and -out are required (or EVENTWIRE_GEN_SPEC and EVENTWIRE_GEN_OUT, or the config keys spec and out)")
	}
	if st.pkg != "" {
		return nil
	}
	abs, err := filepath.Abs(st.out)
	if err != nil {
		return err
	}
	st.pkg = filepath.Base(abs)
	if !token.IsIdentifier(st.pkg) || token.IsKeyword(st.pkg) {
		return fmt.Errorf("the package name %q (the base name of -out) is not a Go identifier; set -package", st.pkg)
	}
	return nil
}

// printErrors prints every error of a bad spec on a line of its own
// (file:line:col: message).
func printErrors(w io.Writer, err error) {
	var list spec.ErrorList
	if !errors.As(err, &list) {
		fmt.Fprintln(w, err)
		return
	}
	for _, e := range list {
		fmt.Fprintln(w, e)
	}
	fmt.Fprintf(w, "eventwire gen: %d %s in the spec; nothing written\n", len(list), plural(len(list), "error", "errors"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
