package middleware

import (
	"fmt"
	"runtime/debug"
)

// panicError is a panic recovered from app code (a hook, a handler, event
// middleware), with the stack where it happened.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v\n%s", p.value, p.stack) }

// contained runs fn and returns a panic in it as a *panicError, so app code
// can never take down a connection's goroutine, or the server.
func contained(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{value: r, stack: debug.Stack()}
		}
	}()
	return fn()
}

// guard runs fn as contained does, and logs a panic at error level as
// "eventwire: <what> panicked" with attrs() (built only then), the value
// and the stack.
func (c *core) guard(what string, fn func() error, attrs func() []any) error {
	err := contained(fn)
	if p, ok := err.(*panicError); ok {
		c.log.Error("eventwire: "+what+" panicked", append(attrs(), "panic", p.value, "stack", string(p.stack))...)
	}
	return err
}

// connAttrs are the log attributes of an event on socket c.
func connAttrs(c *Conn, event string) func() []any {
	return func() []any {
		if event == "" {
			return c.logAttrs()
		}
		return append([]any{"event", event}, c.logAttrs()...)
	}
}
