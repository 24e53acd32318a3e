// Command gen generates a typed eventwire package from events.yaml: events.go
// (payload types, Handler, Conn, Server), <package>.js (the JS client) and
// <package>.d.ts. It rewrites only files whose bytes change.
//
//	//go:generate go run github.com/eventwire/eventwire/gen -spec ../../events.yaml -out ./chatevents
//
//	go run ./gen -spec FILE -out DIR [-package NAME] [-asyncapi FILE] [-asyncapi-version V] [-asyncapi-host H] [-check] [-config FILE]
//
// Settings come from the flags, else from EVENTWIRE_GEN_SPEC, EVENTWIRE_GEN_OUT,
// EVENTWIRE_GEN_PACKAGE, EVENTWIRE_GEN_ASYNCAPI, EVENTWIRE_GEN_ASYNCAPI_VERSION
// and EVENTWIRE_GEN_ASYNCAPI_HOST, else from the -config file's keys spec, out,
// package, asyncapi, asyncapi-version and asyncapi-host. The package name defaults to the base name of -out. A bad spec
// prints every error as file:line:col: message, writes nothing and exits 1;
// -check writes nothing and exits 1 listing missing or stale files.
// -asyncapi FILE (.yaml, .yml or .json) also writes an AsyncAPI 3.0 document
// of the spec, with -asyncapi-version and -asyncapi-host (docs/ASYNCAPI.md).
package main

import (
	"os"

	"github.com/eventwire/eventwire/internal/gencmd"
)

func main() { os.Exit(gencmd.Run(os.Args[1:], os.Stdout, os.Stderr)) }
