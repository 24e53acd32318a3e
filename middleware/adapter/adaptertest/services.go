package adaptertest

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Missing skips the test because a service or binary it needs is absent,
// with the reason; with EVENTWIRE_REQUIRE_SERVICES=1 (as CI sets) it fails
// it instead, so a CI machine without the broker cannot pass unseen.
func Missing(t *testing.T, what string, err error) {
	t.Helper()
	if os.Getenv("EVENTWIRE_REQUIRE_SERVICES") == "1" {
		t.Fatalf("%s is required (EVENTWIRE_REQUIRE_SERVICES=1) but unavailable: %v", what, err)
	}
	t.Skipf("%s is unavailable (%v); set EVENTWIRE_REQUIRE_SERVICES=1 to fail instead", what, err)
}

// Process is a private broker: a server binary run by the test on a free
// loopback port, which Stop kills and Start runs again on the same port.
// It is never the machine's shared broker.
type Process struct {
	Port int
	Dir  string // the working directory, the same at every Start: a broker's store survives a restart
	bin  string
	args []string

	mu  sync.Mutex
	cmd *exec.Cmd
}

// StartProcess runs bin with args(port) in a temporary directory (kept
// across restarts) and waits
// until the port accepts connections; it skips (see Missing) when bin is
// not installed. The process is killed when the test ends.
func StartProcess(t *testing.T, bin string, args func(port int) []string) *Process {
	t.Helper()
	path, err := exec.LookPath(bin)
	if err != nil {
		Missing(t, bin, err)
	}
	p := &Process{Port: freePort(t), Dir: t.TempDir(), bin: path}
	p.args = args(p.Port)
	p.Start(t)
	t.Cleanup(func() { p.Stop(t) })
	return p
}

// Addr is the loopback address the process listens on.
func (p *Process) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Port)) }

// Start runs the process (again) and waits until it listens.
func (p *Process) Start(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Dir = p.Dir
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.bin, err)
	}
	p.cmd = cmd
	deadline := time.Now().Add(waitFor)
	for {
		c, err := net.DialTimeout("tcp", p.Addr(), time.Second)
		if err == nil {
			_ = c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not listen on %s: %v", p.bin, p.Addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the process, as a crash would, and waits for it to exit.
func (p *Process) Stop(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.cmd = nil
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
