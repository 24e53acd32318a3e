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
func (s *Server) Namespace(name string) *Server { return s.namespaces[name] }

// Name returns the Server's namespace: "/" for the Server New returned.
func (s *Server) Name() string { return s.name }

// addNamespaces compiles the root namespace and schema.Namespaces.
func (c *core) addNamespaces(schema Schema) error {
	root := schema
	root.Namespaces = nil
	if err := c.addNamespace("/", root); err != nil {
		return err
	}
	c.root = c.namespaces["/"]
	for _, ns := range schema.Namespaces {
		if err := checkNamespaceName(ns.Name); err != nil {
			return err
		}
		if _, dup := c.namespaces[ns.Name]; dup {
			return fmt.Errorf("eventwire: schema: namespace %q declared twice", ns.Name)
		}
		sub := schema
		sub.Events, sub.Auth, sub.AuthTag, sub.Namespaces = ns.Events, ns.Auth, ns.AuthTag, nil
		if err := c.addNamespace(ns.Name, sub); err != nil {
			return fmt.Errorf("%w (namespace %q)", err, ns.Name)
		}
	}
	return nil
}

// addNamespace compiles one namespace's events into its Server.
func (c *core) addNamespace(name string, schema Schema) error {
	events, err := compileSchema(schema)
	if err != nil {
		return err
	}
	s := &Server{
		core: c, name: name, events: events, auth: schema.Auth, authTag: schema.AuthTag, rec: newRecoveryState(c.cfg),
		sockets: make(map[*Conn]*session),
		rooms:   make(map[string]map[*Conn]roomMember),
	}
	s.chain = s.handleEvent
	c.namespaces[name] = s
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
