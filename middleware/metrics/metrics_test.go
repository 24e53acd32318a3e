package metrics_test

import (
	"context"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/eventwire/eventwire/eventwiretest"
	"github.com/eventwire/eventwire/middleware"
	"github.com/eventwire/eventwire/middleware/metrics"
)

// testSchema: clients say a line (at least one character), which the server
// broadcasts to every other client as news.
func testSchema() middleware.Schema {
	str := &middleware.Shape{Kind: middleware.KindString}
	return middleware.Schema{Events: []middleware.Event{
		{Name: "say", ClientSends: true, Payload: str, Tag: "min=1"},
		{Name: "news", ServerSends: true, Payload: str},
	}}
}

func newServer(t *testing.T, opts ...middleware.Option) (*middleware.Server, *prometheus.Registry) {
	t.Helper()
	srv, err := middleware.New(testSchema(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	err = middleware.Handle(srv, "say", func(ctx context.Context, c *middleware.Conn, line string) error {
		return c.Broadcast().Emit("news", line)
	})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(metrics.New(srv))
	return srv, reg
}

// TestKnownTraffic drives known traffic and checks exact values: 3 sockets;
// 7 inbound events, 2 of them invalid; 5 handled; 5 emits that reach 10
// recipients (each line goes to the 2 other clients).
func TestKnownTraffic(t *testing.T) {
	srv, reg := newServer(t)
	ts := eventwiretest.NewServer(t, srv)
	a, b, c := ts.Dial(t), ts.Dial(t), ts.Dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, line := range []string{"one", "", "two", "three", "", "four", "five"} {
		if _, err := a.EmitWithAck(ctx, "say", line); err != nil {
			t.Fatal(err)
		}
	}
	for _, cl := range []*eventwiretest.Client{b, c} {
		for range 5 {
			if _, err := cl.WaitFor(ctx, "news"); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Label sets that never happened are left out, as Prometheus does.
	want := `
# HELP eventwire_connections_opened_total WebSocket connections opened.
# TYPE eventwire_connections_opened_total counter
eventwire_connections_opened_total 3
# HELP eventwire_deliveries_total Events this node queued for its sockets, once per recipient.
# TYPE eventwire_deliveries_total counter
eventwire_deliveries_total{event="news",namespace="/"} 10
# HELP eventwire_emits_total Events the server emitted, once per emit whatever the number of recipients.
# TYPE eventwire_emits_total counter
eventwire_emits_total{event="news",namespace="/"} 5
# HELP eventwire_event_errors_total Inbound events answered with an error, by the error's code (invalid_payload, internal, the app's own).
# TYPE eventwire_event_errors_total counter
eventwire_event_errors_total{code="invalid_payload",event="say",namespace="/"} 2
# HELP eventwire_events_received_total Inbound events that name an event of the schema, valid or not.
# TYPE eventwire_events_received_total counter
eventwire_events_received_total{event="say",namespace="/"} 7
# HELP eventwire_sockets Connected sockets, by namespace.
# TYPE eventwire_sockets gauge
eventwire_sockets{namespace="/"} 3
`
	names := []string{"eventwire_connections_opened_total", "eventwire_deliveries_total", "eventwire_emits_total",
		"eventwire_event_errors_total", "eventwire_events_received_total", "eventwire_sockets"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	if n := histogramCount(t, reg, "eventwire_handler_duration_seconds"); n != 5 {
		t.Errorf("handler durations observed: %d, want 5 (the valid events)", n)
	}
}

// histogramCount is the sample count of the one histogram called name.
func histogramCount(t *testing.T, reg prometheus.Gatherer, name string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && mf.GetType() == dto.MetricType_HISTOGRAM && len(mf.Metric) == 1 {
			return mf.Metric[0].GetHistogram().GetSampleCount()
		}
	}
	t.Fatalf("no single histogram %s", name)
	return 0
}

// TestRateLimited counts events over the rate limit as received and
// refused with code rate_limited, never handled.
func TestRateLimited(t *testing.T) {
	cfg := middleware.DefaultConfig()
	cfg.RateLimit, cfg.RateBurst = 0.001, 1 // one event, then none for a long while
	srv, reg := newServer(t, middleware.WithConfig(cfg))
	cl := eventwiretest.NewServer(t, srv).Dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 3 {
		if _, err := cl.EmitWithAck(ctx, "say", "hi"); err != nil {
			t.Fatal(err)
		}
	}
	want := `
# HELP eventwire_event_errors_total Inbound events answered with an error, by the error's code (invalid_payload, internal, the app's own).
# TYPE eventwire_event_errors_total counter
eventwire_event_errors_total{code="rate_limited",event="say",namespace="/"} 2
# HELP eventwire_events_received_total Inbound events that name an event of the schema, valid or not.
# TYPE eventwire_events_received_total counter
eventwire_events_received_total{event="say",namespace="/"} 3
# HELP eventwire_events_rate_limited_total Inbound events refused by the rate limit.
# TYPE eventwire_events_rate_limited_total counter
eventwire_events_rate_limited_total 2
`
	err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"eventwire_event_errors_total", "eventwire_events_received_total", "eventwire_events_rate_limited_total")
	if err != nil {
		t.Error(err)
	}
	if n := histogramCount(t, reg, "eventwire_handler_duration_seconds"); n != 1 {
		t.Errorf("handler durations observed: %d, want 1", n)
	}
}

// TestRefusedUpgrades counts refused handshakes by reason.
func TestRefusedUpgrades(t *testing.T) {
	srv, reg := newServer(t)
	ts := eventwiretest.NewServer(t, srv)
	for _, q := range []string{"EIO=3&transport=websocket", "EIO=4&transport=polling", "EIO=4&transport=polling"} {
		resp, err := http.Get(ts.URL + "/socket.io/?" + q)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	refused := func(reason string) float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != "eventwire_upgrades_refused_total" {
				continue
			}
			for _, m := range mf.Metric {
				if m.GetLabel()[0].GetValue() == reason {
					return m.GetCounter().GetValue()
				}
			}
		}
		return -1
	}
	for reason, want := range map[string]float64{"version": 1, "transport": 2, "origin": 0, "hijack": 0} {
		if got := refused(reason); got != want {
			t.Errorf("eventwire_upgrades_refused_total{reason=%q} = %v, want %v", reason, got, want)
		}
	}
}

// TestLint runs Prometheus' own lint over every metric.
func TestLint(t *testing.T) {
	_, reg := newServer(t)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// TestDocsListEveryMetric keeps docs/OPERATIONS.md's table and the Grafana
// dashboard true: the table lists exactly the collector's metrics, and the
// dashboard queries no other.
func TestDocsListEveryMetric(t *testing.T) {
	srv, err := middleware.New(testSchema())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	ch := make(chan *prometheus.Desc, 100)
	metrics.New(srv).Describe(ch)
	close(ch)
	fqName := regexp.MustCompile(`fqName: "([a-z_]+)"`)
	have := map[string]bool{}
	for d := range ch {
		have[fqName.FindStringSubmatch(d.String())[1]] = true
	}
	doc, err := os.ReadFile("../../docs/OPERATIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `(eventwire_[a-z_]+)` \\|")
	listed := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		listed[m[1]] = true
	}
	for name := range have {
		if !listed[name] {
			t.Errorf("docs/OPERATIONS.md's table does not list %s", name)
		}
	}
	for name := range listed {
		if !have[name] {
			t.Errorf("docs/OPERATIONS.md's table lists %s, which the collector does not export", name)
		}
	}
	dashboard, err := os.ReadFile("../../docs/grafana/eventwire.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range regexp.MustCompile(`eventwire_[a-z_]+`).FindAllString(string(dashboard), -1) {
		if base := strings.TrimSuffix(name, "_bucket"); !have[base] {
			t.Errorf("the dashboard queries %s, which the collector does not export", name)
		}
	}
}
