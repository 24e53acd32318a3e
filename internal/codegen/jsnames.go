package codegen

import (
	"errors"
	"strings"

	"github.com/eventwire/eventwire/internal/spec"
)

// clientHandler reports whether on<goName> is a function of the JS client's
// own (connection state) that the spec's reserved event names do not cover:
// spec refuses the Go names Connect, ConnectError, Disconnect and Error, but
// not these, which came with reconnection. An event the server sends under
// such a name would give the client a second on<goName>, hiding one of them.
func clientHandler(goName string) bool {
	switch goName {
	case "ReconnectAttempt", "ReconnectFailed":
		return true
	}
	return false
}

// checkJSNames refuses the events whose JS handler would take the name of
// one of the client's own functions, all of them in one error, each with
// its position.
func checkJSNames(s *spec.Spec) error {
	var problems []string
	events := s.Events
	for _, ns := range s.Namespaces {
		events = append(events[:len(events):len(events)], ns.Events...)
	}
	for _, e := range outbound(events) {
		if clientHandler(e.GoName) {
			problems = append(problems, "eventwire: codegen: "+e.Pos.String()+": event "+e.Name+
				": its JS handler on"+e.GoName+" would clash with the client's own on"+e.GoName+"; rename the event")
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "\n"))
}
