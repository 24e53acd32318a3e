package middleware

import "context"

// Shutdown stops the server gracefully: it refuses new connections, closes
// every connection with WebSocket code 1001 (going away: clients reconnect,
// to another node behind a load balancer), waits for the handlers in
// flight and every OnDisconnect, and ends every goroutine the server
// started. Handlers see their context cancelled as the close starts. If ctx
// ends first, the connections still open are cut as Close cuts them and
// Shutdown returns ctx.Err() without waiting further (a handler that
// ignores its context may still be running). It is safe to call more than
// once, and with Close.
//
// Shutdown and Close wait for connections' read loops, so calling them from
// a handler, Authorize, OnConnect or OnDisconnect (which run on a read loop)
// never returns: call them from another goroutine, as a signal handler does.
func (s *Server) Shutdown(ctx context.Context) error {
	done := s.startShutdown()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.eio.Cut()
		return ctx.Err()
	}
}

// Close is the hard stop: it refuses new connections, queues 1001 to every
// connection and cuts its TCP connection at once (the close frame may not
// get out; clients see the connection drop and reconnect), then waits for
// the read loops and OnDisconnect as Shutdown does. A handler that ignores
// its context's cancellation delays it. It always returns nil.
func (s *Server) Close() error {
	s.eio.Cut()
	<-s.startShutdown()
	return nil
}

// startShutdown runs shutdown once, on its own goroutine, and returns the
// channel closed when it has finished.
func (s *core) startShutdown() <-chan struct{} {
	s.closeOnce.Do(func() {
		s.closed = make(chan struct{})
		go func() {
			defer close(s.closed)
			s.shutdown()
		}()
	})
	return s.closed
}

func (s *core) shutdown() {
	for _, ns := range s.namespaces {
		ns.mu.Lock()
		ns.closing = true
		ns.mu.Unlock()
	}
	s.eio.Shutdown()
	if s.sessions != nil {
		s.sessions.close() // the sessions the shutdown kept, before the adapter closes
	}
	if s.cluster != nil {
		s.cluster.Close() // after the connections: their last emits go out first
	}
}
