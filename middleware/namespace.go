package middleware

import (
	"errors"
	"fmt"
	"strings"
)

// NamespaceSchema is one Socket.IO namespace besides "/": its own events
// and CONNECT auth payload, with the same meaning as in Schema.
type NamespaceSchema struct {
	Name    string // starts with "/", e.g. "/admin"; not "/" itself
	Events  []Event
	Auth    *Shape
	AuthTag string
}

// Namespace returns the Server of namespace name, one of
// Schema.Namespaces, or nil if the schema declares no such namespace; name
// "/" returns the root Server. A namespace's Server has its own handlers
// (Handle, HandleAck, ... with it as the first argument), Authorize,
// OnConnect, OnDisconnect, Use, OnAny, sockets, rooms and operators; a
// client's sockets on several namespaces share one WebSocket. ServeHTTP,
// Middleware, BeforeUpgrade and Close act on the whole server, as on the
// root.
func (s *Server) Namespace(name string) *Server {
	if name == "/" {
		return s.root
	}
	return s.root.namespaces[name]
}

// Name returns the Server's namespace: "/" for the Server New returned.
func (s *Server) Name() string { return s.name }

// newNamespace compiles one namespace's events into a Server that shares
// root's configuration and engines; root nil makes the root itself.
func newNamespace(root *Server, name string, schema Schema, valid *payloadValidator) (*Server, error) {
	events, err := compileSchema(schema)
	if err != nil {
		return nil, err
	}
	s := &Server{
		name: name, events: events, valid: valid,
		auth: schema.Auth, authTag: schema.AuthTag, replies: newReplyShapes(),
		sockets: make(map[*Conn]*engine),
		rooms:   make(map[string]map[*Conn]roomMember),
	}
	s.root = s
	if root != nil {
		s.root = root
		s.cfg, s.log, s.origins = root.cfg, root.log, root.origins
	}
	s.chain = s.handleEvent
	return s, nil
}

// addNamespaces builds the Servers of schema.Namespaces under the root s.
func (s *Server) addNamespaces(schema Schema) error {
	for _, ns := range schema.Namespaces {
		if err := checkNamespaceName(ns.Name); err != nil {
			return err
		}
		if _, dup := s.namespaces[ns.Name]; dup {
			return fmt.Errorf("eventwire: schema: namespace %q declared twice", ns.Name)
		}
		sub := schema
		sub.Events, sub.Auth, sub.AuthTag, sub.Namespaces = ns.Events, ns.Auth, ns.AuthTag, nil
		child, err := newNamespace(s, ns.Name, sub, s.valid)
		if err != nil {
			return fmt.Errorf("%w (namespace %q)", err, ns.Name)
		}
		if s.namespaces == nil {
			s.namespaces = make(map[string]*Server)
		}
		s.namespaces[ns.Name] = child
	}
	return nil
}

// checkNamespaceName accepts what a socket.io client can put in a URL path
// and the packet header: "/" then characters other than ",", "?", "#" and
// whitespace.
func checkNamespaceName(name string) error {
	switch {
	case name == "/":
		return errors.New(`eventwire: schema: namespace "/" is the main one; its events are Schema.Events`)
	case !strings.HasPrefix(name, "/"):
		return fmt.Errorf("eventwire: schema: namespace %q must start with \"/\"", name)
	case strings.ContainsAny(name, ",?# \t\r\n"):
		return fmt.Errorf("eventwire: schema: namespace %q must not contain ',', '?', '#' or spaces", name)
	}
	return nil
}
