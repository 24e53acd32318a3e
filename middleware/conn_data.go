package middleware

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
// Authorize set it already for that socket. T should encode with
// encoding/json, as sessions kept in a cluster's broker will need.
func NewRecoverableKey[T any](name string) *Key[T] { return &Key[T]{name: name, recoverable: true} }

// dataKey is what Conn's data is keyed by: a *Key[T] of any T.
type dataKey interface{ keptOnRecovery() bool }

func (k *Key[T]) keptOnRecovery() bool { return k.recoverable }

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

// String returns the key's name.
func (k *Key[T]) String() string { return k.name }

// Set stores v on c under k, replacing an earlier value.
func (k *Key[T]) Set(c *Conn, v T) {
	c.dataMu.Lock()
	defer c.dataMu.Unlock()
	if c.data == nil {
		c.data = make(map[dataKey]any)
	}
	c.data[k] = v
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
