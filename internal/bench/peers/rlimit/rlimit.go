// Package rlimit lets the benchmark's Go peers hold 12,000 connections: each
// is a file descriptor, and the usual soft limit (1024) is far below that.
package rlimit

import (
	"fmt"
	"os"
	"syscall"
)

// Raise lifts the soft RLIMIT_NOFILE to the hard limit. A failure is only
// reported: a run with fewer clients needs no more.
func Raise() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, "rlimit:", err)
		return
	}
	if lim.Cur >= lim.Max {
		return
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, "rlimit:", err)
	}
}
