package middleware

// Key is a typed slot for per-connection data (who the user is, say),
// safe for concurrent use: create one Key per kind of value with NewKey,
// usually once at startup, and Set/Get it on any Conn from any goroutine.
// The data lives as long as the Conn; it is still readable in OnDisconnect.
type Key[T any] struct {
	name string // for debugging; keys are told apart by identity, not name
}

// NewKey returns a new Key; two keys never share data, even with one name.
func NewKey[T any](name string) *Key[T] { return &Key[T]{name: name} }

// String returns the key's name.
func (k *Key[T]) String() string { return k.name }

// Set stores v on c under k, replacing an earlier value.
func (k *Key[T]) Set(c *Conn, v T) {
	c.dataMu.Lock()
	defer c.dataMu.Unlock()
	if c.data == nil {
		c.data = make(map[any]any)
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
