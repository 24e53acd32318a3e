package middleware

import (
	"encoding/json"
	"log/slog"
	"sync"
)

// Key is a typed slot for per-connection data (who the user is, say),
// safe for concurrent use: create one Key per kind of value with NewKey,
// usually once at startup, and Set/Get it on any Conn from any goroutine.
// The data lives as long as the Conn; it is still readable in OnDisconnect.
type Key[T any] struct {
	name        string // for debugging; keys are told apart by identity, not name
	recoverable bool   // kept across a connection state recovery
}

// NewKey returns a new Key; two keys never share data, even with one name.
func NewKey[T any](name string) *Key[T] { return &Key[T]{name: name} }

// NewRecoverableKey returns a Key whose value a socket keeps across a
// connection state recovery (Config.Recovery): saved with the session when
// the connection drops, and set on the socket that recovers it, unless
// Authorize set it already for that socket.
//
// In a cluster the session is kept in the broker, so the value goes there
// as JSON (encoding/json) under the key's name, and comes back on any node
// into the recoverable key of that name: give each recoverable key a name
// of its own, the same on every node (a later NewRecoverableKey with the
// same name takes the name over), and a T that survives a JSON round trip.
// A value that does not encode is not kept (the log says so).
func NewRecoverableKey[T any](name string) *Key[T] {
	k := &Key[T]{name: name, recoverable: true}
	recoverableKeys.Lock()
	defer recoverableKeys.Unlock()
	if recoverableKeys.byName == nil {
		recoverableKeys.byName = make(map[string]dataKey)
	}
	recoverableKeys.byName[name] = k
	return k
}

// recoverableKeys are the recoverable keys by name, for sessions that come
// back from a cluster's broker.
var recoverableKeys struct {
	sync.Mutex
	byName map[string]dataKey
}

// dataKey is what Conn's data is keyed by: a *Key[T] of any T.
type dataKey interface {
	keptOnRecovery() bool
	String() string
	decode(raw []byte) (any, error) // a value of the key's type from JSON
}

func (k *Key[T]) keptOnRecovery() bool { return k.recoverable }

func (k *Key[T]) decode(raw []byte) (any, error) {
	var v T
	err := json.Unmarshal(raw, &v)
	return v, err
}

// encodeRecoverable encodes the values of c's recoverable keys as JSON,
// by name.
func (c *Conn) encodeRecoverable() map[string]json.RawMessage {
	var out map[string]json.RawMessage
	for k, v := range c.recoverableData() {
		raw, err := json.Marshal(v)
		if err != nil {
			c.s.log.Warn("eventwire: recovery: a recoverable value does not encode; it is not kept", "key", k.String(), "err", err)
			continue
		}
		if out == nil {
			out = make(map[string]json.RawMessage)
		}
		out[k.String()] = raw
	}
	return out
}

// recoverableJSON is encodeRecoverable as one JSON object, "" when c has
// no recoverable value.
func (c *Conn) recoverableJSON() string {
	data := c.encodeRecoverable()
	if data == nil {
		return ""
	}
	b, _ := json.Marshal(data) // raw JSON values by name: cannot fail
	return string(b)
}

// decodeRecoverable reads values encodeRecoverable encoded into the
// recoverable keys of their names.
func decodeRecoverable(data map[string]json.RawMessage, log *slog.Logger) map[dataKey]any {
	if len(data) == 0 {
		return nil
	}
	recoverableKeys.Lock()
	defer recoverableKeys.Unlock()
	out := make(map[dataKey]any, len(data))
	for name, raw := range data {
		k := recoverableKeys.byName[name]
		if k == nil {
			log.Warn("eventwire: recovery: a kept value names no recoverable key of this program", "key", name)
			continue
		}
		v, err := k.decode(raw)
		if err != nil {
			log.Warn("eventwire: recovery: a kept value does not decode", "key", name, "err", err)
			continue
		}
		out[k] = v
	}
	return out
}

// recoverableData copies the values of c's recoverable keys.
func (c *Conn) recoverableData() map[dataKey]any {
	c.dataMu.RLock()
	defer c.dataMu.RUnlock()
	var kept map[dataKey]any
	for k, v := range c.data {
		if k.keptOnRecovery() {
			if kept == nil {
				kept = make(map[dataKey]any)
			}
			kept[k] = v
		}
	}
	return kept
}

// restoreData sets the values a recovered session kept, but for keys set
// already (by Authorize, for this socket).
func (c *Conn) restoreData(kept map[dataKey]any) {
	c.dataMu.Lock()
	defer c.dataMu.Unlock()
	for k, v := range kept {
		if _, set := c.data[k]; !set {
			if c.data == nil {
				c.data = make(map[dataKey]any, len(kept))
			}
			c.data[k] = v
		}
	}
}

// Remote returns the value of k on a socket of the cluster, as
// ClusterRoomMembers tells it (RemoteSocket.Data): only a recoverable
// key's value travels. ok is false when the socket has none or it does not
// decode into T.
func (k *Key[T]) Remote(s RemoteSocket) (v T, ok bool) {
	var data map[string]json.RawMessage
	if !k.recoverable || s.data == "" || json.Unmarshal([]byte(s.data), &data) != nil {
		return v, false
	}
	raw, found := data[k.name]
	return v, found && json.Unmarshal(raw, &v) == nil
}

// String returns the key's name.
func (k *Key[T]) String() string { return k.name }

// Set stores v on c under k, replacing an earlier value.
func (k *Key[T]) Set(c *Conn, v T) {
	c.dataMu.Lock()
	if c.data == nil {
		c.data = make(map[dataKey]any)
	}
	c.data[k] = v
	c.dataMu.Unlock()
	if k.recoverable {
		c.touchSession()
	}
}

// Get returns the value stored on c under k, and whether there was one.
func (k *Key[T]) Get(c *Conn) (T, bool) {
	c.dataMu.RLock()
	defer c.dataMu.RUnlock()
	v, ok := c.data[k]
	t, _ := v.(T) // a nil interface value stored for an interface T fails the assertion
	return t, ok
}

// Delete removes the value stored on c under k, if any.
func (k *Key[T]) Delete(c *Conn) {
	c.dataMu.Lock()
	defer c.dataMu.Unlock()
	delete(c.data, k)
}
