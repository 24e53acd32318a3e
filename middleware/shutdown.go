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
	s = s.root
	done := s.startShutdown()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.cutAll()
		return ctx.Err()
	}
}

// Close is the hard stop: it refuses new connections, queues 1001 to every
// connection and cuts its TCP connection at once (the close frame may not
// get out; clients see the connection drop and reconnect), then waits for
// the read loops and OnDisconnect as Shutdown does. A handler that ignores
// its context's cancellation delays it. It always returns nil.
func (s *Server) Close() error {
	s = s.root
	s.hardStop.Store(true)
	done := s.startShutdown()
	s.cutAll()
	<-done
	return nil
}

// startShutdown runs shutdown once, on its own goroutine, and returns the
// channel closed when it has finished.
func (s *Server) startShutdown() <-chan struct{} {
	s.closeOnce.Do(func() {
		s.closed = make(chan struct{})
		go func() {
			defer close(s.closed)
			s.shutdown()
		}()
	})
	return s.closed
}

func (s *Server) shutdown() {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	for _, ns := range s.namespaces {
		ns.mu.Lock()
		ns.closing = true
		ns.mu.Unlock()
	}
	// Every upgrade in flight registers (or fails) before melody stops:
	// melody would block forever registering into a stopped hub.
	s.pending.Wait()
	for _, e := range s.engines() {
		e.closeWith(closeGoingAway, reasonShutdown, reasonShutdown, nil)
		if s.hardStop.Load() {
			e.kill()
		}
	}
	// Likewise melody unregisters each session through its hub; only once
	// every session has ended may the hub stop.
	s.live.Wait()
	if err := s.m.Close(); err != nil {
		s.log.Debug("eventwire: melody close", "err", err)
	}
	if s.cluster != nil {
		s.cluster.Close() // after the connections: their last emits go out first
	}
}

// cutAll closes every registered connection's TCP connection after queueing
// its close frame.
func (s *Server) cutAll() {
	s.hardStop.Store(true)
	for _, e := range s.engines() {
		e.closeWith(closeGoingAway, reasonShutdown, reasonShutdown, nil)
		e.kill()
	}
}

func (s *Server) engines() []*engine {
	s.mu.RLock()
	defer s.mu.RUnlock()
	all := make([]*engine, 0, len(s.conns))
	for _, e := range s.conns {
		all = append(all, e)
	}
	return all
}
