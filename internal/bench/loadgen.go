package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// maxSeq bounds the messages one run sends; the send-time table is
// preallocated so receivers read it without locks.
const maxSeq = 1 << 21

// A fleet is the load generator's clients for one run: one of them sends,
// the others (and, for "all", the sender too) receive. Each client has one
// read goroutine that counts deliveries and, while recording, keeps the
// latency of each.
type fleet struct {
	sio       bool
	base      time.Time      // the clock origin of sentAt
	sentAt    []atomic.Int64 // seq -> when it was (or was meant to be) sent, ns since base; 0: not sent
	delivered atomic.Int64
	recording atomic.Bool
	clients   []*client
	mu        sync.Mutex // guards clients while connecting
	wg        sync.WaitGroup
}

type client struct {
	ws  *websocket.Conn
	wmu sync.Mutex      // the sender writes events while its reader answers pings
	lat []time.Duration // owned by the read goroutine until fleet.close returns
	buf bytes.Buffer
}

func newFleet(sio bool) *fleet {
	return &fleet{sio: sio, base: time.Now(), sentAt: make([]atomic.Int64, maxSeq)}
}

func (f *fleet) now() int64 { return int64(time.Since(f.base)) }

// sources are the loopback addresses clients connect from, so 10,000
// connections to one server port do not run out of ephemeral ports.
var sources = []string{"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"}

// connect opens n clients, client i to addrs[i%len(addrs)] and into
// room(i) when room is not nil, at most 128 handshakes at a time.
func (f *fleet) connect(ctx context.Context, addrs []string, n int, room func(int) string) error {
	sem := make(chan struct{}, 128)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			r := ""
			if room != nil {
				r = room(i)
			}
			if err := f.dial(ctx, addrs[i%len(addrs)], sources[i%len(sources)], r); err != nil {
				mu.Lock()
				first = cmp(first, fmt.Errorf("client %d: %w", i, err))
				mu.Unlock()
			}
		}()
		if ctx.Err() != nil {
			break
		}
	}
	wg.Wait()
	return first
}

func cmp(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// dial opens one client, completes the Socket.IO CONNECT (or nothing, on a
// plain WebSocket), joins room if it is not "", and starts its reader.
func (f *fleet) dial(ctx context.Context, addr, source, room string) error {
	d := websocket.Dialer{
		NetDialContext:   (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}}).DialContext,
		HandshakeTimeout: 20 * time.Second,
	}
	url := "ws://" + addr + "/ws"
	if f.sio {
		url = "ws://" + addr + "/socket.io/?EIO=4&transport=websocket"
	}
	ws, _, err := d.DialContext(ctx, url, nil)
	if err != nil {
		return err
	}
	c := &client{ws: ws}
	if err := f.handshake(c, room); err != nil {
		ws.Close()
		return err
	}
	f.mu.Lock()
	f.clients = append(f.clients, c)
	f.mu.Unlock()
	f.wg.Add(1)
	go f.read(c)
	return nil
}

func (f *fleet) handshake(c *client, room string) error {
	_ = c.ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	defer c.ws.SetReadDeadline(time.Time{})
	if f.sio {
		if err := c.until("0{"); err != nil {
			return err
		}
		if err := c.write([]byte("40")); err != nil {
			return err
		}
		if err := c.until("40"); err != nil {
			return err
		}
		if room == "" {
			return nil
		}
		if err := c.write([]byte(`421["join",{"room":"` + room + `"}]`)); err != nil {
			return err
		}
		return c.until("431")
	}
	if room == "" {
		return nil
	}
	if err := c.write([]byte("join:" + room)); err != nil {
		return err
	}
	return c.until("joined")
}

// until reads frames, answering pings, until one starts with prefix.
func (c *client) until(prefix string) error {
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			return fmt.Errorf("waiting for %q: %w", prefix, err)
		}
		switch {
		case bytes.HasPrefix(b, []byte(prefix)):
			return nil
		case string(b) == "2":
			if err := c.write([]byte("3")); err != nil {
				return err
			}
		case bytes.HasPrefix(b, []byte("44")):
			return fmt.Errorf("connect refused: %s", b)
		}
	}
}

func (c *client) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// read counts every delivery until the connection ends; it reuses one
// buffer so the generator spends its CPU on the server's frames, not on
// garbage.
func (f *fleet) read(c *client) {
	defer f.wg.Done()
	for {
		_, r, err := c.ws.NextReader()
		if err != nil {
			return
		}
		c.buf.Reset()
		if _, err := c.buf.ReadFrom(r); err != nil {
			return
		}
		b := c.buf.Bytes()
		if f.sio && len(b) == 1 && b[0] == '2' {
			_ = c.write([]byte("3"))
			continue
		}
		seq, ok := parseSeq(b)
		if !ok {
			continue
		}
		f.delivered.Add(1)
		if f.recording.Load() && seq < maxSeq {
			if at := f.sentAt[seq].Load(); at != 0 {
				c.lat = append(c.lat, time.Duration(f.now()-at))
			}
		}
	}
}

var seqKey = []byte(`"seq":`)

// parseSeq finds the message's sequence number.
func parseSeq(b []byte) (int, bool) {
	i := bytes.Index(b, seqKey)
	if i < 0 {
		return 0, false
	}
	n, digits := 0, 0
	for _, ch := range b[i+len(seqKey):] {
		if ch < '0' || ch > '9' {
			break
		}
		n = n*10 + int(ch-'0')
		digits++
	}
	return n, digits > 0 && digits < 10
}

// close ends every client and waits for the readers; latencies are then
// safe to read.
func (f *fleet) close() []time.Duration {
	f.mu.Lock()
	cs := f.clients
	f.mu.Unlock()
	for _, c := range cs {
		_ = c.ws.Close()
	}
	f.wg.Wait()
	var all []time.Duration
	for _, c := range cs {
		all = append(all, c.lat...)
	}
	return all
}

// message builds one `msg` frame whose JSON payload is size bytes long.
func (f *fleet) message(to, room string, seq, size int) []byte {
	head := `{"to":"` + to + `","room":"` + room + `","seq":` + strconv.Itoa(seq) + `,"data":"`
	pad := max(0, size-len(head)-2)
	var b []byte
	if f.sio {
		b = append(b, `42["msg",`...)
	}
	b = append(b, head...)
	b = append(b, bytes.Repeat([]byte{'x'}, pad)...)
	b = append(b, `"}`...)
	if f.sio {
		b = append(b, ']')
	}
	return b
}

// errSeqExhausted stops a sender that would overrun the send-time table.
var errSeqExhausted = errors.New("bench: sent the most messages one run may send")

// A load is what the sender sends: the recipients of each message and how.
type load struct {
	sender  *client
	size    int
	to      string
	room    func(seq int) string // nil: ""
	recips  int64                // deliveries each message should cause
	window  int64                // unpaced: messages in flight at most
	perSec  float64              // paced: messages per second; 0: as fast as the window allows
	stopped atomic.Bool
	sent    atomic.Int64
}

// run sends until stop is called. Unpaced, it keeps at most window
// messages' deliveries outstanding; paced, message i is due at
// start+i/perSec and its latency counts from then, however late it went
// out, so a stalled server cannot hide its stall (no coordinated omission).
func (f *fleet) run(l *load) error {
	start := f.now()
	for seq := 1; !l.stopped.Load(); seq++ {
		if seq >= maxSeq {
			return errSeqExhausted
		}
		at := f.now()
		if l.perSec > 0 {
			at = start + int64(float64(seq-1)*float64(time.Second)/l.perSec)
			if d := time.Duration(at - f.now()); d > 0 {
				time.Sleep(d)
			}
		} else {
			for int64(seq-1)*l.recips-f.delivered.Load() > l.window*l.recips && !l.stopped.Load() {
				time.Sleep(100 * time.Microsecond)
			}
			at = f.now()
		}
		room := ""
		if l.room != nil {
			room = l.room(seq)
		}
		f.sentAt[seq].Store(at)
		if err := l.sender.write(f.message(l.to, room, seq, l.size)); err != nil {
			return err
		}
		l.sent.Store(int64(seq))
	}
	return nil
}

// drain waits up to d for every delivery the sent messages should cause
// and returns how many are missing.
func (f *fleet) drain(l *load, d time.Duration) int64 {
	want := l.sent.Load() * l.recips
	for deadline := time.Now().Add(d); f.delivered.Load() < want && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	return want - f.delivered.Load()
}
