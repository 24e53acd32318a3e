package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/eventwire/eventwire/middleware"
)

// TestMain also checks that a soak leaves nothing running once its server
// has stopped.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestSoak runs the command briefly with few clients, so it cannot rot: it
// must connect, chat and end sessions in all four ways, and its check must
// pass.
func TestSoak(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"short churn passes", []string{"-duration", "2s", "-clients", "4", "-report-every", "500ms"}, 0,
			[]string{"elapsed", "goroutines", "heap in use (KiB)", "PASS:"}},
		{"bad flag", []string{"-clients", "0"}, 2, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(tc.args, &out, &errOut); code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out.String(), errOut.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// TestCheck shows what fails the check: goroutines or heap above their
// limits, or client errors beyond those slow-consumer closes explain.
func TestCheck(t *testing.T) {
	base := snapshot{goroutines: 10, heapInuse: 4 << 20}
	end := func(goroutines int, heap uint64, slowCloses uint64) snapshot {
		return snapshot{goroutines: goroutines, heapInuse: heap, stats: middleware.Stats{SlowConsumerDisconnects: slowCloses}}
	}
	tests := []struct {
		name  string
		end   snapshot
		fails int
		want  string
	}{
		{"at the limits", end(15, 7<<20, 0), 0, ""},
		{"one goroutine too many", end(16, 4<<20, 0), 0, "goroutines 16 > limit 15"},
		{"heap over 1.5x + 1 MiB", end(10, 7<<20+1, 0), 0, "heap in use"},
		{"client errors", end(10, 4<<20, 0), 2, "2 client errors"},
		{"client errors of slow consumers", end(10, 4<<20, 2), 2, ""},
		{"more client errors than slow consumers", end(10, 4<<20, 2), 3, "3 client errors, more than the 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := result{base: base, end: tc.end, load: &load{}, elapsed: time.Second}
			r.load.fails.Add(uint64(tc.fails))
			fails, _, _ := r.failures()
			switch {
			case tc.want == "" && len(fails) > 0:
				t.Errorf("failures %q, want none", fails)
			case tc.want != "" && (len(fails) != 1 || !strings.Contains(fails[0], tc.want)):
				t.Errorf("failures %q, want one containing %q", fails, tc.want)
			}
		})
	}
}
