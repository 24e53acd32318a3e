// Command bench measures eventwire against the servers its users would
// pick instead: raw melody (the floor eventwire is built on), Node's ws and
// Node's socket.io v4. melody-write is raw melody sending with one
// Session.Write per recipient, as eventwire must, instead of melody's hub;
// it runs in the cases that send to all. Each run starts a fresh server process and drives it
// with this process's clients over loopback; rounds are interleaved, so a
// machine that slows down during the run slows every server alike, and the
// figures are medians of the rounds. docs/BENCHMARKS.md says what each
// scenario does and holds the last results, which this command writes.
//
// It is a module of its own (what its charts need stays out of the
// library's go.mod), so it runs from its directory:
//
//	cd internal/bench && go run .                       # everything, 3 rounds (~30 min)
//	cd internal/bench && go run . -scenarios fanout -rounds 1 -docs ""
//
// It exits 0 when every run completed, 1 when one failed, 2 on bad flags.
// It is not a test: nothing here asserts a speed.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/eventwire/eventwire/internal/bench/report"
)

// modulePath is this command's module, the directory internal/bench of the
// eventwire repository.
const modulePath = "github.com/eventwire/eventwire/internal/bench"

type options struct {
	rounds                   int
	scenarios, servers       []string
	duration, warmup, settle time.Duration
	window                   int64
	pacedRate                float64
	idleClients              int
	docs, only               string
	scenarioFlag, serverFlag string
}

func (o options) has(scenario string) bool { return slices.Contains(o.scenarios, scenario) }

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, out, errOut io.Writer) int {
	o, ok := parseFlags(args, errOut)
	if !ok {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := bench(ctx, o, args, out); err != nil {
		fmt.Fprintln(errOut, "bench:", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, errOut io.Writer) (options, bool) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(errOut)
	var o options
	fs.IntVar(&o.rounds, "rounds", 3, "rounds per case; each round runs every server once, in a rotated order")
	fs.StringVar(&o.scenarioFlag, "scenarios", "fanout,latency,idle,rooms,cluster", "scenarios to run")
	fs.StringVar(&o.serverFlag, "servers", "eventwire,melody,melody-write,ws,socket.io,eventwire+metrics,eventwire+recovery,eventwire+redis,eventwire+redis+recovery,eventwire+nats,eventwire+nats+recovery", "servers to run")
	fs.DurationVar(&o.duration, "duration", 3*time.Second, "measured window of a load run")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "load before the measured window")
	fs.DurationVar(&o.settle, "settle", 3*time.Second, "idle wait before each memory reading")
	fs.Int64Var(&o.window, "window", 4, "fan-out: messages whose deliveries may be outstanding")
	fs.Float64Var(&o.pacedRate, "rate", 20, "paced cases: messages per second (each reaches every client)")
	fs.IntVar(&o.idleClients, "idle-clients", 10000, "idle scenario: connections")
	fs.StringVar(&o.only, "cases", "", "run only the cases whose name holds this text")
	fs.StringVar(&o.docs, "docs", "docs", `write BENCHMARKS.md and bench/*.png under this directory, relative to the repository root ("": print only)`)
	if err := fs.Parse(args); err != nil {
		return o, false
	}
	o.scenarios = strings.Split(o.scenarioFlag, ",")
	o.servers = strings.Split(o.serverFlag, ",")
	if o.rounds < 1 || o.duration <= 0 || o.warmup < 0 || o.window < 1 || o.pacedRate <= 0 || o.idleClients < 1 || fs.NArg() > 0 {
		fmt.Fprintln(errOut, "bench: -rounds, -duration, -window, -rate and -idle-clients must be positive; no arguments")
		return o, false
	}
	return o, true
}

// bench runs every case and writes the report.
func bench(ctx context.Context, o options, args []string, out io.Writer) error {
	dir, err := moduleDir()
	if err != nil {
		return err
	}
	raiseFileLimit()
	work, err := os.MkdirTemp("", "ewbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	all, err := peers(ctx, dir, work)
	if err != nil {
		return err
	}
	for _, s := range o.servers {
		if _, ok := all[s]; !ok {
			return fmt.Errorf("unknown server %q", s)
		}
	}
	res := report.Results{When: time.Now().UTC(), Machine: machine(), Rounds: o.rounds,
		Command: strings.TrimSpace("cd internal/bench && go run . " + strings.Join(args, " "))}
	for _, s := range cases(o) {
		if !strings.Contains(s.name, o.only) {
			continue
		}
		c, err := runCase(ctx, o, s, all, out)
		if err != nil {
			return fmt.Errorf("%s, %s: %w", s.scenario, s.name, err)
		}
		res.Cases = append(res.Cases, c)
	}
	if o.docs == "" {
		return nil
	}
	docs := o.docs
	if !filepath.IsAbs(docs) {
		docs = filepath.Join(dir, "..", "..", docs) // the repository root holds this module at internal/bench
	}
	return write(docs, res, out)
}

// runCase runs s's rounds, each server once per round, rotating the order.
func runCase(ctx context.Context, o options, s spec, all map[string]peer, out io.Writer) (report.Case, error) {
	c := report.Case{Scenario: s.scenario, Name: s.name}
	rows := make([]report.Row, len(s.servers))
	for i, name := range s.servers {
		rows[i].Server = name
	}
	fmt.Fprintf(out, "\n== %s: %s\n", s.scenario, s.name)
	for round := range o.rounds {
		for k := range s.servers {
			i := (k + round) % len(s.servers)
			if err := ctx.Err(); err != nil {
				return c, err
			}
			r, err := runRound(ctx, o, s, all[s.servers[i]], round)
			if err != nil {
				return c, fmt.Errorf("%s, round %d: %w", s.servers[i], round+1, err)
			}
			fmt.Fprintf(out, "   round %d  %-16s %s\n", round+1, s.servers[i], roundLine(r))
			rows[i].Rounds = append(rows[i].Rounds, r)
		}
	}
	c.Rows = rows
	for i := range c.Rows {
		c.Rows[i].Median = report.Median(c.Rows[i].Rounds)
	}
	printCase(out, c)
	return c, nil
}

func roundLine(r report.Round) string {
	if r.RSSPerConn > 0 {
		return fmt.Sprintf("%.1f KiB/conn", r.RSSPerConn/1024)
	}
	return fmt.Sprintf("%9.0f deliveries/s  p50 %6.1f ms  p99 %6.1f ms  p99.9 %6.1f ms  CPU %5.1f ms/1000  delivered %d/%d",
		r.DeliveriesPerSec, r.P50, r.P99, r.P999, r.CPUPer1000, r.Delivered, r.Expected)
}

// moduleDir is the directory of this benchmark's module (internal/bench),
// which holds the peers; the go command finds it from inside the module.
func moduleDir() (string, error) {
	b, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", modulePath).Output()
	dir := strings.TrimSpace(string(b))
	if err != nil || dir == "" {
		return "", fmt.Errorf("run from inside the benchmark's module: cd internal/bench && go run . (go list -m %s: %q, %v)", modulePath, dir, err)
	}
	return dir, nil
}

// raiseFileLimit lets this process hold the idle scenario's connections.
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}
