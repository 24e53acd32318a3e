package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// stepTimeout bounds every wait of a session: a stuck one is an error, never a hang.
const stepTimeout = 10 * time.Second

// load is a churn of client loops and what they counted.
type load struct {
	url                                           string
	connects, sent, acked, received, pongs, fails atomic.Uint64

	mu      sync.Mutex
	byStep  map[string]int // client errors by step: the text before the first ":"
	lastErr string
}

func (l *load) fail(err error) {
	step, _, _ := strings.Cut(err.Error(), ":")
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byStep == nil {
		l.byStep = make(map[string]int)
	}
	l.byStep[step]++
	l.lastErr = err.Error()
	l.fails.Add(1)
}

// churn runs client loops until d has passed (each finishes its session),
// calling report every `every` (0: never) meanwhile.
func (l *load) churn(d time.Duration, clients int, every time.Duration, report func()) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	for id := range clients {
		wg.Go(func() {
			for n := id; ctx.Err() == nil; n++ { // n%8 varies, so each client ends every way
				// A 1013 is the server shedding a client starved of CPU; the
				// server's SlowConsumerDisconnects counts it.
				if err := l.session(n); err != nil && !closedWith(err, websocket.CloseTryAgainLater) {
					l.fail(err)
				}
			}
		})
	}
	if every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		for ctx.Err() == nil {
			select {
			case <-t.C:
				report()
			case <-ctx.Done():
			}
		}
	}
	wg.Wait()
}

// session is connection n's life: open, CONNECT, four chat lines (the
// even ones with an ack id; the last ack shows the server handled them
// all), for one in eight a ping answered, then one of four ends.
func (l *load) session(n int) error {
	ws, _, err := websocket.DefaultDialer.Dial(l.url, nil)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer ws.Close()
	l.connects.Add(1)
	c := client{l, ws}
	if err := c.until("open packet", prefix("0{")); err != nil {
		return err
	}
	if err := c.write("40"); err != nil {
		return err
	}
	if err := c.until("CONNECT reply", prefix("40{")); err != nil {
		return err
	}
	for i := 1; i <= 4; i++ {
		id := ""
		if i%2 == 0 {
			id = fmt.Sprint(i)
		}
		if err := c.write(fmt.Sprintf(`42%s["browser_to_message",{"messageText":"line %d of %d"}]`, id, i, n)); err != nil {
			return err
		}
		l.sent.Add(1)
		if id != "" {
			if err := c.until("ack", prefix("43"+id+"[")); err != nil {
				return err
			}
			l.acked.Add(1)
		}
	}
	if n%8 == 7 {
		if err := c.until("ping", func(m []byte) bool { return string(m) == "2" }); err != nil {
			return err
		}
	}
	return c.end(n % 4)
}

// client is one connection; one goroutine reads and writes it, reading
// between its writes, so broadcasts never pile up on the server.
type client struct {
	l  *load
	ws *websocket.Conn
}

func prefix(p string) func([]byte) bool {
	return func(m []byte) bool { return bytes.HasPrefix(m, []byte(p)) }
}

// until reads frames, answering pings and counting events, up to the first
// that want accepts; read errors are wrapped (%w).
func (c client) until(what string, want func([]byte) bool) error {
	_ = c.ws.SetReadDeadline(time.Now().Add(stepTimeout))
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			return fmt.Errorf("waiting for the %s: %w", what, err)
		}
		if string(msg) == "2" {
			switch err := c.write("3"); {
			case err == nil:
				c.l.pongs.Add(1)
			case !errors.Is(err, websocket.ErrCloseSent): // after end's close frame, pings go unanswered
				return err
			}
		} else if bytes.HasPrefix(msg, []byte("42")) {
			c.l.received.Add(1)
		}
		if want(msg) {
			return nil
		}
	}
}

func (c client) write(frame string) error {
	_ = c.ws.SetWriteDeadline(time.Now().Add(stepTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		return fmt.Errorf("write %.20q: %w", frame, err)
	}
	return nil
}

// end disconnects in one of four ways: 0 Socket.IO DISCONNECT ("41")
// then Engine.IO close ("1"), as socket.io-client's manager does when its
// last socket leaves (the server keeps the session after the 41 alone), 1
// Engine.IO close, 2 a WebSocket close frame, 3 a TCP reset. The first
// three must get the server's close 1000.
func (c client) end(way int) error {
	var err error
	switch way {
	case 0:
		if err = c.write("41"); err == nil {
			err = c.write("1")
		}
	case 1:
		err = c.write("1")
	case 2:
		err = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
			time.Now().Add(stepTimeout))
	default:
		if tcp, ok := c.ws.NetConn().(*net.TCPConn); ok {
			_ = tcp.SetLinger(0) // Close sends RST, not FIN
		}
		return c.ws.NetConn().Close()
	}
	if err != nil {
		return err
	}
	if err = c.until("close", func([]byte) bool { return false }); !closedWith(err, websocket.CloseNormalClosure) {
		return fmt.Errorf("end %d: want close 1000, got %w", way, err)
	}
	return nil
}

// closedWith reports whether err is the server's close frame with code.
func closedWith(err error, code int) bool {
	var ce *websocket.CloseError
	return errors.As(err, &ce) && ce.Code == code
}
