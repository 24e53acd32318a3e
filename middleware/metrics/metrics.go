// Package metrics exports an eventwire server's metrics to Prometheus.
//
//	srv, _ := chatevents.NewServer(h, opts...)
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(metrics.New(srv.Runtime()))
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// Labels come from the schema only: namespace, event and error code (and a
// fixed reason for refused handshakes and failed recoveries), so their
// number is bounded by events.yaml. Socket ids and room names are never
// labels. Per-event metrics are counted as they happen, through
// middleware.Observer; the server-wide ones are read from
// middleware.Server.Stats when Prometheus scrapes. docs/OPERATIONS.md lists
// every metric with PromQL and alert rules.
package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventwire/eventwire/middleware"
)

// Collector is a prometheus.Collector of one eventwire server (all its
// namespaces). Register it on any prometheus.Registerer.
type Collector struct {
	srv *middleware.Server

	received, emits, deliveries children[prometheus.Counter]
	duration                    children[prometheus.Observer]
	errors                      *prometheus.CounterVec
}

type eventKey struct{ namespace, event string }

// children caches the children of a vector by event, looked up once:
// counting an event then allocates nothing. A child is made when its
// event first happens, so a series exists only for what can happen (no
// emits of an event only clients send).
type children[M any] struct {
	vec interface {
		prometheus.Collector
		withLabels(namespace, event string) M
	}
	mu sync.RWMutex
	m  map[eventKey]M
}

func (c *children[M]) of(namespace, event string) M {
	k := eventKey{namespace, event}
	c.mu.RLock()
	m, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return m
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if m, ok = c.m[k]; !ok {
		m = c.vec.withLabels(namespace, event)
		c.m[k] = m
	}
	return m
}

type counterVec struct{ *prometheus.CounterVec }

func (v counterVec) withLabels(namespace, event string) prometheus.Counter {
	return v.WithLabelValues(namespace, event)
}

type histogramVec struct{ *prometheus.HistogramVec }

func (v histogramVec) withLabels(namespace, event string) prometheus.Observer {
	return v.WithLabelValues(namespace, event)
}

func counters(name, help string) children[prometheus.Counter] {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"namespace", "event"})
	return children[prometheus.Counter]{vec: counterVec{vec}, m: make(map[eventKey]prometheus.Counter)}
}

// DurationBuckets are the buckets of eventwire_handler_duration_seconds:
// from 100µs, for handlers that answer from memory, to 10s.
func DurationBuckets() []float64 {
	return []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
}

// New returns the Collector of srv (the Server New returned, or any of its
// namespaces': it covers them all) and starts counting srv's events.
// Create it once per server, before clients connect.
func New(srv *middleware.Server) *Collector {
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "eventwire_handler_duration_seconds",
		Help:    "Time the typed handler of an inbound event took.",
		Buckets: DurationBuckets(),
	}, []string{"namespace", "event"})
	c := &Collector{
		srv: srv,
		received: counters("eventwire_events_received_total",
			"Inbound events that name an event of the schema, valid or not."),
		emits: counters("eventwire_emits_total",
			"Events the server emitted, once per emit whatever the number of recipients."),
		deliveries: counters("eventwire_deliveries_total",
			"Events this node queued for its sockets, once per recipient."),
		duration: children[prometheus.Observer]{vec: histogramVec{duration}, m: make(map[eventKey]prometheus.Observer)},
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventwire_event_errors_total",
			Help: "Inbound events answered with an error, by the error's code (invalid_payload, internal, the app's own).",
		}, []string{"namespace", "event", "code"}),
	}
	srv.Observe(observer{c})
	return c
}

// observer is the Collector as the server's middleware.Observer; a type of
// its own keeps those methods out of the Collector's API.
type observer struct{ c *Collector }

func (o observer) EventReceived(namespace, event string) { o.c.received.of(namespace, event).Inc() }

func (o observer) EventFailed(namespace, event, code string) {
	o.c.errors.WithLabelValues(namespace, event, code).Inc()
}

func (o observer) EventHandled(namespace, event string, took time.Duration) {
	o.c.duration.of(namespace, event).Observe(took.Seconds())
}

func (o observer) Emitted(namespace, event string) { o.c.emits.of(namespace, event).Inc() }

func (o observer) Delivered(namespace, event string, n int) {
	o.c.deliveries.of(namespace, event).Add(float64(n))
}

// The metrics read from Stats at each scrape.
var (
	descSockets = prometheus.NewDesc("eventwire_sockets",
		"Connected sockets, by namespace.", []string{"namespace"}, nil)
	descConnections = prometheus.NewDesc("eventwire_connections",
		"Open WebSocket connections (each may carry sockets on several namespaces).", nil, nil)
	descOpened = prometheus.NewDesc("eventwire_connections_opened_total",
		"WebSocket connections opened.", nil, nil)
	descRefused = prometheus.NewDesc("eventwire_upgrades_refused_total",
		"Handshakes refused, by reason (method, http2, version, transport, session, origin, bad_request, admit, limit, shutdown, hijack).",
		[]string{"reason"}, nil)
	descProtocolErrors = prometheus.NewDesc("eventwire_protocol_errors_total",
		"Connections closed for breaking the protocol (1002, 1007, 1009).", nil, nil)
	descSlowDisconnects = prometheus.NewDesc("eventwire_slow_consumer_disconnects_total",
		"Connections closed (1013) as slow consumers.", nil, nil)
	descFramesDropped = prometheus.NewDesc("eventwire_frames_dropped_total",
		"Frames a slow consumer did not get (slow_consumer: drop).", nil, nil)
	descQueuePeak = prometheus.NewDesc("eventwire_outbound_queue_peak_bytes",
		"The most bytes one connection's outbound queue has held.", nil, nil)
	descRateLimited = prometheus.NewDesc("eventwire_events_rate_limited_total",
		"Inbound events refused by the rate limit.", nil, nil)
	descAckTimeouts = prometheus.NewDesc("eventwire_ack_timeouts_total",
		"EmitWithAck calls whose context ended before the client replied.", nil, nil)
	descPublished = prometheus.NewDesc("eventwire_cluster_published_total",
		"Messages published to the other nodes (heartbeats excluded).", nil, nil)
	descPublishFailed = prometheus.NewDesc("eventwire_cluster_publish_failures_total",
		"Messages to the other nodes that were lost: refused (ErrClusterPublish) or failed at the broker.", nil, nil)
	descClusterReceived = prometheus.NewDesc("eventwire_cluster_received_total",
		"Messages received from the other nodes.", nil, nil)
	descClusterPeers = prometheus.NewDesc("eventwire_cluster_peers",
		"Other nodes this node heard from within three heartbeats: the broker carries traffic both ways when it matches the cluster's size minus one.", nil, nil)
	descRecoveryAttempts = prometheus.NewDesc("eventwire_recovery_attempts_total",
		"CONNECTs that asked to recover a session.", nil, nil)
	descRecovered = prometheus.NewDesc("eventwire_recovered_total",
		"Sessions recovered.", nil, nil)
	descReplayed = prometheus.NewDesc("eventwire_recovery_replayed_total",
		"Events sent again to recovered sockets.", nil, nil)
	descRecoveryFailures = prometheus.NewDesc("eventwire_recovery_failures_total",
		"Recoveries that failed, by reason (unknown, expired, offset, trimmed, too_many, store).", []string{"reason"}, nil)
	descLogGaps = prometheus.NewDesc("eventwire_recovery_log_gaps_total",
		"Entries of the cluster's recovery log this node never delivered.", nil, nil)
	descSessionErrors = prometheus.NewDesc("eventwire_recovery_session_errors_total",
		"Writes of recovery sessions to the broker that failed.", nil, nil)
)

func statDescs() []*prometheus.Desc {
	return []*prometheus.Desc{descSockets, descConnections, descOpened, descRefused, descProtocolErrors,
		descSlowDisconnects, descFramesDropped, descQueuePeak, descRateLimited, descAckTimeouts, descPublished,
		descPublishFailed, descClusterReceived, descClusterPeers, descRecoveryAttempts, descRecovered, descReplayed,
		descRecoveryFailures, descLogGaps, descSessionErrors}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range statDescs() {
		ch <- d
	}
	c.received.vec.Describe(ch)
	c.errors.Describe(ch)
	c.duration.vec.Describe(ch)
	c.emits.vec.Describe(ch)
	c.deliveries.vec.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.srv.Stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, name := range c.srv.Namespaces() {
		gauge(descSockets, float64(c.srv.Namespace(name).Len()), name)
	}
	gauge(descConnections, float64(st.Connections))
	counter(descOpened, st.ConnectionsOpened)
	for reason, n := range st.HandshakesRefused {
		counter(descRefused, n, reason)
	}
	counter(descProtocolErrors, st.ProtocolErrors)
	counter(descSlowDisconnects, st.SlowConsumerDisconnects)
	counter(descFramesDropped, st.FramesDropped)
	gauge(descQueuePeak, float64(st.OutboundQueuePeak))
	counter(descRateLimited, st.RateLimited)
	counter(descAckTimeouts, st.AckTimeouts)
	counter(descPublished, st.ClusterPublished)
	counter(descPublishFailed, st.ClusterPublishFailed)
	counter(descClusterReceived, st.ClusterReceived)
	gauge(descClusterPeers, float64(len(c.srv.ClusterNodes())))
	counter(descRecoveryAttempts, st.RecoveryAttempts)
	counter(descRecovered, st.Recovered)
	counter(descReplayed, st.FramesReplayed)
	f := st.RecoveryFailures
	for _, r := range []struct {
		reason string
		n      uint64
	}{{"unknown", f.Unknown}, {"expired", f.Expired}, {"offset", f.Offset}, {"trimmed", f.Trimmed},
		{"too_many", f.TooMany}, {"store", f.Store}} {
		counter(descRecoveryFailures, r.n, r.reason)
	}
	counter(descLogGaps, st.RecoveryLogGaps)
	counter(descSessionErrors, st.RecoverySessionErrors)
	c.received.vec.Collect(ch)
	c.errors.Collect(ch)
	c.duration.vec.Collect(ch)
	c.emits.vec.Collect(ch)
	c.deliveries.vec.Collect(ch)
}
