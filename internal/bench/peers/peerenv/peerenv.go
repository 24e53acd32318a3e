// Package peerenv is what the benchmark's Go peers share: the address to
// listen on, a file-descriptor limit high enough for 12,000 connections,
// and pprof on request, so a run can be profiled under its real load.
package peerenv

import (
	"errors"
	"fmt"
	"net/http"
	_ "net/http/pprof" // registers on http.DefaultServeMux, served only on BENCH_PPROF
	"os"
	"syscall"
)

// Setup returns the address to listen on (127.0.0.1:$BENCH_PORT), lifts the
// soft RLIMIT_NOFILE to the hard limit, and serves net/http/pprof on
// $BENCH_PPROF when it is set. A limit that cannot be raised is only
// reported: a run with fewer clients needs no more.
func Setup() (string, error) {
	port := os.Getenv("BENCH_PORT")
	if port == "" {
		return "", errors.New("BENCH_PORT is not set")
	}
	if err := raiseFileLimit(); err != nil {
		fmt.Fprintln(os.Stderr, "peerenv: file limit:", err)
	}
	if addr := os.Getenv("BENCH_PPROF"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }() // DefaultServeMux: pprof's handlers only
	}
	return "127.0.0.1:" + port, nil
}

func raiseFileLimit() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= lim.Max {
		return nil
	}
	lim.Cur = lim.Max
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}
