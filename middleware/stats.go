package middleware

// Stats is a snapshot of a Server's counters, for metrics and health
// checks. Counters only grow; they count since New.
type Stats struct {
	// Connections is the number of open WebSocket connections (each may
	// carry sockets on several namespaces).
	Connections int
	// Sockets is the number of connected sockets on this namespace.
	Sockets int
	// FramesDropped counts frames a slow consumer did not get (see
	// Config.SlowConsumer).
	FramesDropped uint64
	// SlowConsumerDisconnects counts connections closed (1013) as slow
	// consumers.
	SlowConsumerDisconnects uint64
	// OutboundQueuePeak is the most bytes one connection's outbound queue
	// has held (frames waiting beyond Config.OutboundBuffer), a high-water
	// mark to set Config.OutboundBufferBytes by.
	OutboundQueuePeak int64
	// RateLimited counts inbound events refused by the rate limit.
	RateLimited uint64
	// ConnectionsRefused counts handshakes refused by MaxConnections or
	// MaxConnectionsPerIP.
	ConnectionsRefused uint64
	// ConnectionsOpened counts the WebSocket connections opened.
	ConnectionsOpened uint64
	// HandshakesRefused counts every refused handshake by reason: method,
	// http2, version, transport, session, origin, bad_request, admit (by
	// BeforeUpgrade), limit, shutdown, hijack (docs/OPERATIONS.md).
	HandshakesRefused map[string]uint64
	// AckTimeouts counts EmitWithAck calls whose context ended before the
	// client's reply.
	AckTimeouts uint64
	// ProtocolErrors counts connections closed for breaking the protocol:
	// 1002 (a malformed or unexpected packet), 1007 (a text frame that is
	// not UTF-8) and 1009 (a frame or binary packet over MaxPayload or
	// MaxAttachmentSize). Each connection counts once.
	ProtocolErrors uint64
	// RecoveryAttempts counts CONNECTs that asked to recover a session
	// (Config.Recovery), Recovered those that did, and FramesReplayed the
	// events sent again to them. RecoveryFailures counts the rest by why.
	RecoveryAttempts uint64
	Recovered        uint64
	FramesReplayed   uint64
	RecoveryFailures RecoveryFailures
	// RecoveryLogGaps counts, in a cluster with recovery, the entries of
	// the namespaces' logs this node never delivered: the broker lost them
	// (an outage) before this node could read them. RecoverySessionErrors
	// counts the writes of sessions to the broker that failed.
	RecoveryLogGaps       uint64
	RecoverySessionErrors uint64
	// ClusterPublished counts the messages (emits, Join/Leave/Disconnect
	// commands, cluster queries and their answers) published to the other
	// nodes; heartbeats are not counted. 0 without an adapter.
	ClusterPublished uint64
	// ClusterPublishFailed counts such messages lost: refused with
	// ErrClusterPublish, or failed at the broker after being queued.
	ClusterPublishFailed uint64
	// ClusterReceived counts the messages received from other nodes.
	ClusterReceived uint64
}

// Stats returns the server's counters; on a namespace's Server, Sockets
// counts that namespace and the rest is the whole server's.
func (s *Server) Stats() Stats {
	es, cs := s.eio.Stats(), s.cluster.Stats()
	return Stats{
		Connections:             es.Connections,
		Sockets:                 s.Len(),
		FramesDropped:           es.FramesDropped,
		SlowConsumerDisconnects: es.SlowDisconnects,
		OutboundQueuePeak:       es.BacklogPeak,
		RateLimited:             s.limitedEvents.Load(),
		ConnectionsRefused:      es.Refused,
		ConnectionsOpened:       es.Opened,
		HandshakesRefused:       es.RefusedBy,
		AckTimeouts:             s.ackTimeouts.Load(),
		ProtocolErrors:          es.ProtocolErrors,
		RecoveryAttempts:        s.recoveryAttempts.Load(),
		Recovered:               s.recoveredSessions.Load(),
		FramesReplayed:          s.framesReplayed.Load(),
		RecoveryFailures:        s.recoveryFailures(),
		RecoveryLogGaps:         s.recoveryLogGaps.Load(),
		RecoverySessionErrors:   s.recoverySessionErrors.Load(),
		ClusterPublished:        cs.Published,
		ClusterPublishFailed:    cs.Failed,
		ClusterReceived:         cs.Received,
	}
}
