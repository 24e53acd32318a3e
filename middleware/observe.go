package middleware

import (
	"bytes"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventwire/eventwire/internal/engineio"
)

// Observer is told, as it happens, what the runtime does with each event of
// the schema, for metrics: package middleware/metrics implements it on
// Prometheus. Every name it gets is a namespace or an event the schema
// declares (events it does not declare are not reported), so labels built
// from them stay bounded; socket ids and rooms are never passed. Its
// methods run on connections' goroutines and in emit calls: they must be
// quick, must not block and must be safe for concurrent use.
type Observer interface {
	// EventReceived: a client sent event, valid or not.
	EventReceived(namespace, event string)
	// EventFailed: the client got error code for event (invalid_payload,
	// a handler's own code, internal, ...).
	EventFailed(namespace, event, code string)
	// EventHandled: event's typed handler ran, taking took.
	EventHandled(namespace, event string, took time.Duration)
	// Emitted: the server emitted event, once per emit call.
	Emitted(namespace, event string)
	// Delivered: this node queued event for n sockets; an emit to many is
	// reported once, with its count.
	Delivered(namespace, event string, n int)
}

// observers is the list Observe builds, copied on write.
type observers struct {
	mu   sync.Mutex
	list atomic.Pointer[[]Observer]
}

// Observe adds o to the observers of the whole server (every namespace).
// Add it before clients connect to count from the start.
func (s *Server) Observe(o Observer) {
	s.obs.mu.Lock()
	defer s.obs.mu.Unlock()
	var list []Observer
	if old := s.obs.list.Load(); old != nil {
		list = append(list, *old...)
	}
	list = append(list, o)
	s.obs.list.Store(&list)
}

// observed returns the observers, nil when there are none.
func (s *Server) observed() []Observer {
	if l := s.obs.list.Load(); l != nil {
		return *l
	}
	return nil
}

// Namespaces returns the names of the server's namespaces, "/" first, the
// others in name order.
func (s *Server) Namespaces() []string {
	names := make([]string, 0, len(s.namespaces))
	for name := range s.namespaces {
		if name != "/" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return append([]string{"/"}, names...)
}

// observeReceived reports an inbound event of the schema.
func (s *Server) observeReceived(event string) {
	for _, o := range s.observed() {
		o.EventReceived(s.name, event)
	}
}

func (s *Server) observeFailed(event, code string) {
	for _, o := range s.observed() {
		o.EventFailed(s.name, event, code)
	}
}

func (s *Server) observeHandled(event string, took time.Duration) {
	for _, o := range s.observed() {
		o.EventHandled(s.name, event, took)
	}
}

// observeEmitted reports an emit of event, if the schema declares it.
func (s *Server) observeEmitted(event string) {
	obs := s.observed()
	if obs == nil || s.events[event] == nil {
		return
	}
	for _, o := range obs {
		o.Emitted(s.name, event)
	}
}

// observeDelivered reports p queued for n sockets; the event is read from
// the frame, as packets from other nodes arrive encoded.
func (s *Server) observeDelivered(p engineio.Packet, n int) {
	obs := s.observed()
	if obs == nil || n == 0 {
		return
	}
	e := s.events[string(eventNameOf(p.Text))]
	if e == nil {
		return
	}
	for _, o := range obs {
		o.Delivered(s.name, e.Name, n)
	}
}

// eventNameOf returns the event name of an EVENT or BINARY_EVENT frame
// (`42[/ns,][id]["name",...`), nil when it has none without escapes: the
// schema's names never need one.
func eventNameOf(frame []byte) []byte {
	if len(frame) < 2 || frame[0] != '4' || frame[1] != '2' && frame[1] != '5' {
		return nil // not an EVENT or BINARY_EVENT
	}
	i := bytes.IndexByte(frame, '[')
	if i < 0 || i+1 >= len(frame) || frame[i+1] != '"' {
		return nil
	}
	name := frame[i+2:]
	end := bytes.IndexByte(name, '"')
	if end < 0 || bytes.IndexByte(name[:end], '\\') >= 0 {
		return nil
	}
	return name[:end]
}
