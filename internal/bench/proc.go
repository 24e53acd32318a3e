package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A peer is one server under test: how to start it as a fresh process and
// which protocol its clients speak.
type peer struct {
	name      string
	sio       bool     // Socket.IO over Engine.IO at /socket.io/; false: plain WebSocket at /ws
	clustered bool     // it runs on a broker: a cluster case starts several nodes of it
	recovery  bool     // connection state recovery on: its logs live under a fixed prefix
	argv      []string // the command; BENCH_PORT and extra env are added per start
	env       []string
}

// peers builds the Go servers of the module in dir once into work and
// returns every peer by name. The Node peers run from dir/peers/node, whose
// packages come from its lock file (npm ci, once).
func peers(ctx context.Context, dir, work string) (map[string]peer, error) {
	out := map[string]peer{}
	for _, p := range []string{"eventwire", "melody"} {
		bin := filepath.Join(work, p+"-peer")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./peers/"+p)
		cmd.Dir = dir
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build %s peer: %w\n%s", p, err, b)
		}
		out[p] = peer{name: p, sio: p == "eventwire", argv: []string{bin}}
	}
	out["melody-write"] = peer{name: "melody-write", argv: out["melody"].argv, env: []string{"BENCH_MELODY_BROADCAST=write"}}
	nodeDir := filepath.Join(dir, "peers", "node")
	if err := npmCI(ctx, nodeDir); err != nil {
		return nil, err
	}
	out["ws"] = peer{name: "ws", argv: []string{"node", filepath.Join(nodeDir, "ws.mjs")}}
	out["socket.io"] = peer{name: "socket.io", sio: true, argv: []string{"node", filepath.Join(nodeDir, "socketio.mjs")}}
	ew := out["eventwire"]
	out["eventwire+recovery"] = peer{name: "eventwire+recovery", sio: true, recovery: true, argv: ew.argv, env: []string{"BENCH_RECOVERY=1"}}
	out["eventwire+metrics"] = peer{name: "eventwire+metrics", sio: true, argv: ew.argv, env: []string{"BENCH_METRICS=1"}}
	for _, a := range []string{"redis", "nats"} {
		out["eventwire+"+a] = peer{name: "eventwire+" + a, sio: true, clustered: true, argv: ew.argv, env: []string{"BENCH_ADAPTER=" + a}}
		out["eventwire+"+a+"+recovery"] = peer{name: "eventwire+" + a + "+recovery", sio: true, clustered: true, recovery: true,
			argv: ew.argv, env: []string{"BENCH_ADAPTER=" + a, "BENCH_RECOVERY=1"}}
	}
	return out, nil
}

// npmCI installs the Node peers' pinned packages unless the installed tree
// is at least as new as the lock file.
func npmCI(ctx context.Context, dir string) error {
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return err
	}
	if inst, err := os.Stat(filepath.Join(dir, "node_modules/.package-lock.json")); err == nil && !lock.ModTime().After(inst.ModTime()) {
		return nil
	}
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci in %s: %w\n%s", dir, err, b)
	}
	return nil
}

// A proc is one running server process.
type proc struct {
	name string
	addr string // 127.0.0.1:port
	cmd  *exec.Cmd
	log  *bytes.Buffer
	done chan struct{}
}

// start runs p on a free loopback port and waits until it accepts
// connections.
func start(p peer, extraEnv ...string) (*proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Env = append(append(append(os.Environ(), "BENCH_PORT="+strconv.Itoa(port)), p.env...), extraEnv...)
	log := new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", p.name, err)
	}
	pr := &proc{name: p.name, addr: "127.0.0.1:" + strconv.Itoa(port), cmd: cmd, log: log, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(pr.done) }()
	for deadline := time.Now().Add(15 * time.Second); ; {
		select {
		case <-pr.done:
			return nil, fmt.Errorf("%s exited at start: %s", p.name, tail(log))
		default:
		}
		if c, err := net.DialTimeout("tcp", pr.addr, time.Second); err == nil {
			c.Close()
			return pr, nil
		}
		if time.Now().After(deadline) {
			pr.stop()
			return nil, fmt.Errorf("%s did not listen on %s within 15s: %s", p.name, pr.addr, tail(log))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends the process: SIGTERM, then SIGKILL after 5s.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// exited reports whether the process ended on its own.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func tail(b *bytes.Buffer) string {
	s := b.String()
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return strings.TrimSpace(s)
}

// freePort finds a free port below Linux's ephemeral range (32768 up), so
// that no client connection's local port can take it between this check
// and the server's listen.
func freePort() (int, error) {
	base := 20000 + rand.IntN(10000)
	for i := range 10000 {
		port := 20000 + (base+i)%10000
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			ln.Close()
			return port, nil
		}
	}
	return 0, errors.New("bench: no free port in 20000-29999")
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's CPU times; it is
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// cpuTime is the user plus system CPU time the process has used so far.
func (p *proc) cpuTime() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields count from after its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("bench: unreadable /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("bench: short /proc stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// rss is the process's resident set size in bytes.
func (p *proc) rss() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("bench: no VmRSS in /proc status")
}

// cpuOf sums the CPU time of several processes (a cluster's nodes).
func cpuOf(ps []*proc) (time.Duration, error) {
	var total time.Duration
	for _, p := range ps {
		t, err := p.cpuTime()
		if err != nil {
			return 0, err
		}
		total += t
	}
	return total, nil
}
