package middleware

import (
	"errors"
	"sync"
	"testing"
)

func TestKey(t *testing.T) {
	c := &Conn{}
	name := NewKey[string]("name")
	other := NewKey[string]("name") // same name, another key
	cause := NewKey[error]("cause")
	if _, ok := name.Get(c); ok {
		t.Error("Get on an empty Conn found a value")
	}
	name.Set(c, "alice")
	other.Set(c, "bob")
	cause.Set(c, nil)
	tests := []struct {
		name string
		get  func() (any, bool)
		want any
		ok   bool
	}{
		{"set", func() (any, bool) { return name.Get(c) }, "alice", true},
		{"keys with one name are apart", func() (any, bool) { return other.Get(c) }, "bob", true},
		{"a nil interface value is a value", func() (any, bool) { return cause.Get(c) }, error(nil), true},
		{"deleted", func() (any, bool) { other.Delete(c); return other.Get(c) }, "", false},
		{"another Conn", func() (any, bool) { return name.Get(&Conn{}) }, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.get()
			if got != tc.want || ok != tc.ok {
				t.Errorf("got %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
	if name.String() != "name" {
		t.Errorf("String() = %q", name.String())
	}
}

// TestKeyConcurrent sets, gets and deletes from many goroutines; run with -race.
func TestKeyConcurrent(t *testing.T) {
	c := &Conn{}
	counter := NewKey[int]("counter")
	last := NewKey[error]("last")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				counter.Set(c, g*1000+i)
				if v, ok := counter.Get(c); !ok || v < 0 {
					t.Errorf("Get = %d, %v", v, ok)
					return
				}
				last.Set(c, errors.New("x"))
				if i%7 == 0 {
					last.Delete(c)
				}
				_, _ = last.Get(c)
			}
		}()
	}
	wg.Wait()
	if _, ok := counter.Get(c); !ok {
		t.Error("counter lost")
	}
}
