// Package sioclient is a minimal Socket.IO v5 client over WebSocket for the
// project's own tests and tools: it dials, connects (with auth), emits with
// and without acks, and reads events, answering Engine.IO pings itself. It
// sees every frame, so tests can assert the wire exactly. It is not a
// general-purpose client: one goroutine reads at a time, and writes (Send,
// Emit, the pongs Read sends) may come from one other goroutine.
package sioclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/eventwire/eventwire/internal/protocol"
)

// Timeout bounds every read, so a test that waits for a frame that never
// comes fails instead of hanging.
const Timeout = 5 * time.Second

// Client is one raw Socket.IO connection on the main namespace.
type Client struct {
	ws     *websocket.Conn
	wmu    sync.Mutex // one writer at a time: a reader's pongs and Emit
	nextID uint64
	// SID is the socket id the server sent in its CONNECT reply, and PID
	// its recovery session id when the server has recovery on.
	SID, PID string
}

// Open dials the Socket.IO endpoint under baseURL (http or https) and reads
// the Engine.IO open packet; it does not send CONNECT.
func Open(baseURL string, header http.Header) (*Client, error) {
	u := "ws" + strings.TrimPrefix(baseURL, "http") + "/socket.io/?EIO=4&transport=websocket"
	ws, _, err := websocket.DefaultDialer.Dial(u, header)
	if err != nil {
		return nil, fmt.Errorf("sioclient: dial: %w", err)
	}
	c := &Client{ws: ws}
	open, err := c.Read()
	if err != nil {
		ws.Close()
		return nil, err
	}
	if !strings.HasPrefix(open, `0{`) {
		ws.Close()
		return nil, fmt.Errorf("sioclient: first frame %q is not an open packet", open)
	}
	return c, nil
}

// Dial opens a connection and sends CONNECT with auth (nil for none); it
// returns once the server accepted. A CONNECT_ERROR is returned as *ConnectError.
func Dial(baseURL string, auth any) (*Client, error) {
	c, err := Open(baseURL, nil)
	if err != nil {
		return nil, err
	}
	connect := "40"
	if auth != nil {
		b, err := json.Marshal(auth)
		if err != nil {
			c.Close()
			return nil, err
		}
		connect += string(b)
	}
	if err := c.Send(connect); err != nil {
		c.Close()
		return nil, err
	}
	reply, err := c.Read()
	switch {
	case err != nil:
		c.Close()
		return nil, err
	case strings.HasPrefix(reply, "44"):
		c.Close()
		ce := &ConnectError{Raw: reply}
		if err := json.Unmarshal([]byte(reply[2:]), ce); err != nil {
			return nil, fmt.Errorf("sioclient: CONNECT_ERROR %q: %w", reply, err)
		}
		return nil, ce
	case !strings.HasPrefix(reply, "40"):
		c.Close()
		return nil, fmt.Errorf("sioclient: CONNECT reply %q", reply)
	}
	var ok struct{ SID, PID string }
	if err := json.Unmarshal([]byte(reply[2:]), &ok); err != nil || ok.SID == "" {
		c.Close()
		return nil, fmt.Errorf("sioclient: CONNECT reply %q has no sid", reply)
	}
	c.SID, c.PID = ok.SID, ok.PID
	return c, nil
}

// Cut drops the TCP connection without a close frame, as a network does.
func (c *Client) Cut() error { return c.ws.NetConn().Close() }

// ConnectError is the server's CONNECT_ERROR payload.
type ConnectError struct {
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
	Raw     string          `json:"-"`
}

func (e *ConnectError) Error() string { return "sioclient: connect refused: " + e.Raw }

// Close closes the WebSocket without a Socket.IO DISCONNECT.
func (c *Client) Close() error { return c.ws.Close() }

// Send writes one raw text frame.
func (c *Client) Send(frame string) error { return c.SendBinary(frame) }

// Read returns the next frame that is not an Engine.IO ping; pings are
// answered.
func (c *Client) Read() (string, error) {
	for {
		if err := c.ws.SetReadDeadline(time.Now().Add(Timeout)); err != nil {
			return "", err
		}
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			return "", fmt.Errorf("sioclient: read: %w", err)
		}
		if string(msg) != "2" {
			return string(msg), nil
		}
		if err := c.Send("3"); err != nil {
			return "", err
		}
	}
}

// Emit sends an event without an ack id.
func (c *Client) Emit(event string, args ...any) error {
	frame, err := eventFrame("42", event, args)
	if err != nil {
		return err
	}
	return c.Send(frame)
}

// EmitAck sends an event with the next ack id and returns the ack's
// arguments. Events that arrive first are returned in skipped.
func (c *Client) EmitAck(event string, args ...any) (reply []json.RawMessage, skipped []string, err error) {
	id := strconv.FormatUint(c.nextID, 10)
	c.nextID++
	frame, err := eventFrame("42"+id, event, args)
	if err != nil {
		return nil, nil, err
	}
	if err := c.Send(frame); err != nil {
		return nil, nil, err
	}
	prefix := "43" + id + "["
	for {
		f, err := c.Read()
		if err != nil {
			return nil, skipped, err
		}
		if !strings.HasPrefix(f, prefix) {
			skipped = append(skipped, f)
			continue
		}
		err = json.Unmarshal([]byte(f[len(prefix)-1:]), &reply)
		return reply, skipped, err
	}
}

// SendBinary writes the text header of a BINARY_EVENT or BINARY_ACK, then
// its attachments as binary frames.
func (c *Client) SendBinary(header string, attachments ...[]byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(header)); err != nil {
		return err
	}
	for _, a := range attachments {
		if err := c.ws.WriteMessage(websocket.BinaryMessage, a); err != nil {
			return err
		}
	}
	return nil
}

// ReadEvent reads the next frame and requires it to be an event of the
// default namespace; it returns the event's name and arguments. A
// BINARY_EVENT's attachments are read too and put in place of their
// placeholders as base64 strings, as the server reads them.
func (c *Client) ReadEvent() (name string, args []json.RawMessage, err error) {
	f, err := c.Read()
	if err != nil {
		return "", nil, err
	}
	p, err := protocol.Decode([]byte(strings.TrimPrefix(f, "4")))
	if err != nil || f[0] != '4' || p.Namespace != "/" || (p.Type != protocol.Event && p.Type != protocol.BinaryEvent) {
		return "", nil, fmt.Errorf("sioclient: frame %q is not an event", f)
	}
	data := p.Data
	if p.Type == protocol.BinaryEvent {
		if data, err = c.readAttachments(p); err != nil {
			return "", nil, fmt.Errorf("sioclient: binary event %q: %w", f, err)
		}
	}
	var all []json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil || len(all) == 0 {
		return "", nil, errors.Join(fmt.Errorf("sioclient: event frame %q", f), err)
	}
	if err := json.Unmarshal(all[0], &name); err != nil {
		return "", nil, fmt.Errorf("sioclient: event name in %q: %w", f, err)
	}
	return name, all[1:], nil
}

func eventFrame(head, event string, args []any) (string, error) {
	parts := []any{event}
	parts = append(parts, args...)
	b, err := json.Marshal(parts)
	if err != nil {
		return "", fmt.Errorf("sioclient: encode %q: %w", event, err)
	}
	return head + string(b), nil
}

// readAttachments reads the binary frames that follow p's header and puts
// them in place of their placeholders.
func (c *Client) readAttachments(p protocol.Packet) ([]byte, error) {
	atts := make([][]byte, 0, p.Attachments)
	for range p.Attachments {
		if err := c.ws.SetReadDeadline(time.Now().Add(Timeout)); err != nil {
			return nil, err
		}
		typ, msg, err := c.ws.ReadMessage()
		if err != nil {
			return nil, err
		}
		if typ != websocket.BinaryMessage {
			return nil, fmt.Errorf("frame %q where an attachment was due", msg)
		}
		atts = append(atts, msg)
	}
	return protocol.ReplacePlaceholders(p.Data, atts)
}
