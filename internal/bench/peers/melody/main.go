// Command melody is the benchmark's floor: raw melody v1.1.4, the WebSocket
// library eventwire is built on, with a hand-written broadcast and no
// protocol, decoding or validation. What eventwire costs on top of it is the
// gap between the two.
//
// On /ws a client sends "join:<room>" (answered "joined") or a JSON object
// {"to","room","seq","data"}; the server reads to and room and forwards the
// bytes it received, unchanged, to everyone ("all"), all but the sender
// ("others"), or the room's members but the sender ("room").
//
// "all" and "others" go through melody's hub (Broadcast, BroadcastOthers):
// one envelope for every session, written from the hub's own goroutine.
// With BENCH_MELODY_BROADCAST=write they go out as one Session.Write per
// recipient instead, the only way melody's API offers to send to chosen
// sessions and the way eventwire sends; rooms always do.
//
// It listens on 127.0.0.1:$BENCH_PORT; BENCH_PPROF=addr serves pprof.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/olahol/melody"

	"github.com/eventwire/eventwire/internal/bench/peers/peerenv"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "melody peer:", err)
		os.Exit(1)
	}
}

func run() error {
	addr, err := peerenv.Setup()
	if err != nil {
		return err
	}
	m := melody.New()
	m.Config.MaxMessageSize = 1 << 20 // the default, 512 bytes, is below the 1 KiB payloads
	mode := os.Getenv("BENCH_MELODY_BROADCAST")
	if mode != "" && mode != "hub" && mode != "write" {
		return fmt.Errorf("BENCH_MELODY_BROADCAST %q: want hub or write", mode)
	}
	r := &relay{m: m, perSession: mode == "write", rooms: map[string]map[*melody.Session]struct{}{}, joined: map[*melody.Session][]string{}}
	m.HandleMessage(r.message)
	m.HandleDisconnect(r.leaveAll)

	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, req *http.Request) {
		_ = m.HandleRequest(w, req) // a failed upgrade has been answered already
	})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	httpSrv := &http.Server{Addr: addr, Handler: mux}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.ListenAndServe() }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	_ = httpSrv.Close()
	return m.Close()
}

// relay routes messages; rooms is the room index ("room" costs the room's
// size), joined each session's rooms, so a disconnect leaves them.
type relay struct {
	m          *melody.Melody
	perSession bool // all and others by Session.Write, not the hub
	mu         sync.Mutex
	rooms      map[string]map[*melody.Session]struct{}
	joined     map[*melody.Session][]string
}

// message is the contract's {"to","room",…}; seq and data are not read.
type message struct {
	To   string `json:"to"`
	Room string `json:"room"`
}

func (r *relay) message(s *melody.Session, msg []byte) {
	if room, ok := strings.CutPrefix(string(msg), "join:"); ok {
		r.join(s, room)
		_ = s.Write([]byte("joined"))
		return
	}
	var m message
	if err := json.Unmarshal(msg, &m); err != nil {
		return
	}
	switch {
	case r.perSession && (m.To == "all" || m.To == "others"):
		r.writeEach(msg, s, m.To == "others")
	case m.To == "all":
		_ = r.m.Broadcast(msg)
	case m.To == "others":
		_ = r.m.BroadcastOthers(msg, s)
	case m.To == "room":
		_ = r.m.BroadcastMultiple(msg, r.members(m.Room, s))
	}
}

// writeEach sends msg to every session (but the sender, when others is
// set) with one Session.Write each, on the sender's goroutine.
func (r *relay) writeEach(msg []byte, sender *melody.Session, others bool) {
	sessions, err := r.m.Sessions()
	if err != nil {
		return // closed
	}
	for _, q := range sessions {
		if !others || q != sender {
			_ = q.Write(msg) // a closed session has left; the others still get it
		}
	}
}

func (r *relay) join(s *melody.Session, room string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rooms[room] == nil {
		r.rooms[room] = map[*melody.Session]struct{}{}
	}
	if _, in := r.rooms[room][s]; !in {
		r.rooms[room][s] = struct{}{}
		r.joined[s] = append(r.joined[s], room)
	}
}

// members lists the room's sessions but except.
func (r *relay) members(room string, except *melody.Session) []*melody.Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*melody.Session, 0, len(r.rooms[room]))
	for s := range r.rooms[room] {
		if s != except {
			out = append(out, s)
		}
	}
	return out
}

func (r *relay) leaveAll(s *melody.Session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, room := range r.joined[s] {
		delete(r.rooms[room], s)
		if len(r.rooms[room]) == 0 {
			delete(r.rooms, room)
		}
	}
	delete(r.joined, s)
}
