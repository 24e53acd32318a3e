// Command soak churns clients through an in-process eventwire chat server
// and checks that goroutines and heap come back to their baseline: clients
// connect, chat, disconnect (four ways) and start again until the duration
// ends. docs/OPERATIONS.md explains its output.
//
//	go run ./internal/soak -duration 10m [-clients 50] [-report-every 10s]
//
// It exits 0 when the check passes, 1 when it fails, 2 on bad flags.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// options are the command's flags; the warm-up is min(5s, duration/5).
type options struct {
	duration, reportEvery, warmup time.Duration
	clients                       int
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run parses args, soaks and prints the report; it returns the exit code.
func run(args []string, out, errOut io.Writer) int {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(errOut)
	var o options
	fs.DurationVar(&o.duration, "duration", time.Minute, "how long to churn after the warm-up")
	fs.IntVar(&o.clients, "clients", 50, "concurrent clients")
	fs.DurationVar(&o.reportEvery, "report-every", 10*time.Second, "print progress this often (0: never)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.duration <= 0 || o.clients <= 0 || o.reportEvery < 0 || fs.NArg() > 0 {
		fmt.Fprintln(errOut, "soak: -duration and -clients must be positive, -report-every not negative, no arguments")
		return 2
	}
	o.warmup = min(5*time.Second, o.duration/5)
	r, err := soak(o, out)
	if err != nil {
		fmt.Fprintln(errOut, "soak:", err)
		return 1
	}
	if !r.print(out) {
		return 1
	}
	return 0
}
