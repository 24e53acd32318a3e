package middleware

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"

	"github.com/eventwire/eventwire/internal/engineio"
)

// Config configures a Server. Start from DefaultConfig (or LoadConfig): a
// zero field is a configuration error, not "use the default".
type Config struct {
	// Path is the URL path prefix the server answers, starting and ending
	// with "/". Default "/socket.io/", socket.io clients' default.
	Path string `mapstructure:"path"`
	// PingInterval is how often the server sends an Engine.IO ping. Default 25s.
	PingInterval time.Duration `mapstructure:"ping_interval"`
	// PingTimeout is how long the server waits for the pong before it
	// closes the connection ("ping timeout"). Default 20s.
	PingTimeout time.Duration `mapstructure:"ping_timeout"`
	// ConnectTimeout is how long a new connection may take to send its
	// Socket.IO CONNECT before it is closed. Default 45s.
	ConnectTimeout time.Duration `mapstructure:"connect_timeout"`
	// MaxPayload is the largest inbound frame in bytes; a bigger one closes
	// the connection with 1009. Sent to clients in the open packet.
	// Default 1_000_000.
	MaxPayload int64 `mapstructure:"max_payload"`
	// MaxAttachmentSize is the largest binary attachment (one binary
	// frame of a BINARY_EVENT or BINARY_ACK) in bytes; a bigger one closes
	// the connection with 1009, as does a packet whose header and
	// attachments together exceed MaxPayload (so MaxPayload bounds it too).
	// Default 524_288 (512 KiB).
	MaxAttachmentSize int64 `mapstructure:"max_attachment_size"`
	// WriteTimeout bounds one frame write, and how long a frame may wait in
	// a connection's outbound queue: a peer that does not read is
	// disconnected after it (see SlowConsumer). Default 10s.
	WriteTimeout time.Duration `mapstructure:"write_timeout"`
	// OutboundBuffer is the number of frames the WebSocket layer (melody)
	// queues per connection. Frames beyond it wait in the connection's
	// outbound queue, bounded by OutboundBufferBytes, so a burst of small
	// frames never makes a reader look slow. Default 256.
	OutboundBuffer int `mapstructure:"outbound_buffer"`
	// OutboundBufferBytes bounds, in bytes, the frames waiting in a
	// connection's outbound queue beyond OutboundBuffer. It is held only
	// while frames wait. Default 1_048_576 (1 MiB, centrifuge's client
	// queue); docs/OPERATIONS.md has the figures it was chosen from.
	OutboundBufferBytes int64 `mapstructure:"outbound_buffer_bytes"`
	// SlowConsumer is the policy for a connection that does not keep up:
	// one whose outbound queue would grow past OutboundBufferBytes, or
	// whose oldest queued frame has waited WriteTimeout. A reader that
	// keeps reading is never one, whatever the burst, as long as it fits
	// OutboundBufferBytes. "disconnect" (default) closes it with 1013 (try
	// again later; a client reconnects and starts afresh) so it never holds
	// more memory nor misses frames unknowingly; "drop" keeps it and drops
	// the frames that do not fit, and those that waited too long (a client
	// that stops reading altogether is still cut once a write has waited
	// WriteTimeout). Either way each frame not delivered is counted
	// (Stats), logged at warn level, and reported to the caller that can
	// act: Conn.Emit and EmitWithAck return ErrSlowConsumer.
	SlowConsumer string `mapstructure:"slow_consumer"`
	// MaxConnections bounds the WebSocket connections open at once
	// (handshakes in progress included); one more is refused with HTTP 503
	// and Engine.IO's JSON error. 0: no limit. Default 10000.
	MaxConnections int `mapstructure:"max_connections"`
	// MaxConnectionsPerIP bounds the connections from one remote address
	// (the TCP peer: behind a reverse proxy every client shares the
	// proxy's, so leave it 0 there, or raise it). 0: no limit. Default 0.
	MaxConnectionsPerIP int `mapstructure:"max_connections_per_ip"`
	// RateLimit is the average number of events a second one connection
	// may send (all its namespaces together), a token bucket holding
	// RateBurst; an event over it is refused with code rate_limited
	// without running its handler, and a connection that sends a whole
	// RateBurst (at least 10) of refused events in a row is closed with
	// 1008. 0 turns
	// the limit off. Default 20.
	RateLimit float64 `mapstructure:"rate_limit"`
	// RateBurst is the bucket size of RateLimit. Default 100, so a client
	// flushing its full offline buffer (the generated client keeps 100) on
	// reconnect is not refused.
	RateBurst int `mapstructure:"rate_burst"`
	// RateLimits adds a bucket per event name (in any namespace), counted
	// besides RateLimit, e.g. {"say": {PerSecond: 2, Burst: 5}}; each
	// name must be an event clients send. Default none.
	RateLimits map[string]Rate `mapstructure:"rate_limits"`
	// AllowedOrigins lists the browser origins ("scheme://host[:port]")
	// allowed to connect besides the same origin (Origin host == request
	// Host). Requests without an Origin header (non-browser clients) are
	// always allowed. Default empty: same origin only.
	//
	// "*" INSECURELY allows every origin: any web page a user visits can then
	// open a connection with the user's cookies (cross-site WebSocket
	// hijacking). Use it only for servers that do not authenticate by cookie.
	AllowedOrigins []string `mapstructure:"allowed_origins"`
	// Recovery turns on connection state recovery, compatible with
	// socket.io-client 4.6+: a client whose connection drops and that
	// comes back within RecoveryMaxDisconnection gets its socket back (same
	// id, rooms) and every event it missed, in order, before any live one;
	// OnConnect runs again and Conn.Recovered reports it. Every event the
	// server sends without an ack id then carries its offset as one more
	// trailing argument, which socket.io-client and the generated
	// JavaScript client strip. In a cluster (WithAdapter) the log and the
	// sessions live in the broker, so the adapter must be a
	// RecoveryAdapter (New refuses another). docs/RECOVERY.md states the
	// guarantee and its limits. Default false.
	Recovery bool `mapstructure:"recovery"`
	// RecoveryMaxDisconnection is how long a session that dropped may come
	// back. Default 2m.
	RecoveryMaxDisconnection time.Duration `mapstructure:"recovery_max_disconnection"`
	// RecoveryLogFrames and RecoveryLogBytes bound each namespace's log of
	// the events sent, which a returning client's missed events come from;
	// one that missed events the log no longer holds starts afresh.
	// Defaults 10000 and 16_777_216 (16 MiB).
	RecoveryLogFrames int   `mapstructure:"recovery_log_frames"`
	RecoveryLogBytes  int64 `mapstructure:"recovery_log_bytes"`
	// RecoveryMaxReplay caps the events replayed to one returning client;
	// one that missed more starts afresh. Default 1000.
	RecoveryMaxReplay int `mapstructure:"recovery_max_replay"`
	// ServeClient serves the generated JavaScript client at Path + its
	// file name (e.g. /socket.io/chatevents.js, and the minified
	// /socket.io/chatevents.min.js), with an ETag. Default true;
	// false when the app bundles or serves the module itself.
	ServeClient bool `mapstructure:"serve_client"`
	// ValidateOutbound checks what the server sends against the schema, as
	// what it receives is: every emit's arguments and every ack reply, once
	// per emit before it is encoded for its recipients. One that breaks the
	// schema is not sent; the call returns a *Error with code
	// invalid_payload and its Details; an ack handler's bad reply is logged
	// with its details and the client gets an internal error reply. Default
	// true; false skips the check
	// on hot paths that trust their values (docs/EVENTS.md gives its cost).
	ValidateOutbound bool `mapstructure:"validate_outbound"`
}

// The values of Config.SlowConsumer.
const (
	SlowConsumerDisconnect = "disconnect"
	SlowConsumerDrop       = "drop"
)

// DefaultConfig returns the defaults documented on each Config field.
func DefaultConfig() Config {
	return Config{
		Path:                "/socket.io/",
		PingInterval:        25 * time.Second,
		PingTimeout:         20 * time.Second,
		ConnectTimeout:      45 * time.Second,
		MaxPayload:          1_000_000,
		MaxAttachmentSize:   512 << 10,
		WriteTimeout:        10 * time.Second,
		OutboundBuffer:      256,
		OutboundBufferBytes: 1 << 20,
		SlowConsumer:        SlowConsumerDisconnect,
		MaxConnections:      10000,
		RateLimit:           20,
		RateBurst:           100,
		AllowedOrigins:      []string{},
		ServeClient:         true,
		ValidateOutbound:    true,

		RecoveryMaxDisconnection: 2 * time.Minute,
		RecoveryLogFrames:        10000,
		RecoveryLogBytes:         16 << 20,
		RecoveryMaxReplay:        1000,
	}
}

// configKeys lists every key with its default, so viper knows each key (and
// its environment variable) even when no file mentions it.
func configKeys() map[string]any {
	d := DefaultConfig()
	return map[string]any{
		"path":                   d.Path,
		"ping_interval":          d.PingInterval,
		"ping_timeout":           d.PingTimeout,
		"connect_timeout":        d.ConnectTimeout,
		"max_payload":            d.MaxPayload,
		"max_attachment_size":    d.MaxAttachmentSize,
		"write_timeout":          d.WriteTimeout,
		"outbound_buffer":        d.OutboundBuffer,
		"outbound_buffer_bytes":  d.OutboundBufferBytes,
		"slow_consumer":          d.SlowConsumer,
		"max_connections":        d.MaxConnections,
		"max_connections_per_ip": d.MaxConnectionsPerIP,
		"rate_limit":             d.RateLimit,
		"rate_burst":             d.RateBurst,
		"allowed_origins":        d.AllowedOrigins,
		"serve_client":           d.ServeClient,
		"validate_outbound":      d.ValidateOutbound,

		"recovery":                   d.Recovery,
		"recovery_max_disconnection": d.RecoveryMaxDisconnection,
		"recovery_log_frames":        d.RecoveryLogFrames,
		"recovery_log_bytes":         d.RecoveryLogBytes,
		"recovery_max_replay":        d.RecoveryMaxReplay,
	}
}

// NewViper returns a viper with every key's default set, environment
// variables EVENTWIRE_<KEY> (AutomaticEnv, "." and "-" read as "_"), and
// configFile read when non-empty (yaml, json or toml by extension). With
// configFile "" the file named by EVENTWIRE_CONFIG is read, if set.
func NewViper(configFile string) (*viper.Viper, error) {
	v := viper.New()
	for key, def := range configKeys() {
		v.SetDefault(key, def)
	}
	v.SetEnvPrefix("EVENTWIRE")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_", "-", "_"))
	v.AutomaticEnv()
	if configFile == "" {
		configFile = os.Getenv("EVENTWIRE_CONFIG")
	}
	if configFile == "" {
		return v, nil
	}
	v.SetConfigFile(configFile)
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("eventwire: config: read %s: %w", configFile, err)
	}
	return v, nil
}

// LoadConfig decodes v into a Config and validates it. Durations are Go
// duration strings ("25s"); AllowedOrigins may be a list or one
// comma-separated string (EVENTWIRE_ALLOWED_ORIGINS="https://a,https://b").
func LoadConfig(v *viper.Viper) (Config, error) {
	if v == nil {
		return Config{}, errors.New("eventwire: config: nil viper")
	}
	var cfg Config
	hook := mapstructure.ComposeDecodeHookFunc(
		rejectBareDuration,
		mapstructure.StringToTimeDurationHookFunc(),
		mapstructure.StringToSliceHookFunc(","),
	)
	if err := v.Unmarshal(&cfg, viper.DecodeHook(hook)); err != nil {
		return Config{}, fmt.Errorf("eventwire: config: %w", err)
	}
	// "https://a, https://b," from an environment variable means two origins.
	origins := cfg.AllowedOrigins[:0]
	for _, o := range cfg.AllowedOrigins {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	cfg.AllowedOrigins = origins
	if err := cfg.validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// rejectBareDuration refuses a plain number for a duration: mapstructure
// would read `ping_interval: 25` as 25 nanoseconds.
func rejectBareDuration(from, to reflect.Type, data any) (any, error) {
	if to != reflect.TypeFor[time.Duration]() || from == to {
		return data, nil
	}
	switch from.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return nil, fmt.Errorf("duration %v has no unit; write e.g. \"25s\"", data)
	}
	return data, nil
}

// validate reports every problem at once, each prefixed "eventwire: config: ".
func (c Config) validate() error {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("eventwire: config: "+format, args...))
	}
	if !strings.HasPrefix(c.Path, "/") || !strings.HasSuffix(c.Path, "/") {
		add("path %q must start and end with \"/\"", c.Path)
	}
	for _, d := range []struct {
		key string
		val time.Duration
	}{
		{"ping_interval", c.PingInterval}, {"ping_timeout", c.PingTimeout},
		{"connect_timeout", c.ConnectTimeout}, {"write_timeout", c.WriteTimeout},
		{"recovery_max_disconnection", c.RecoveryMaxDisconnection},
	} {
		if d.val <= 0 {
			add("%s must be a positive duration, got %v", d.key, d.val)
		}
	}
	if c.MaxPayload <= 0 {
		add("max_payload must be positive, got %d", c.MaxPayload)
	}
	if c.MaxAttachmentSize <= 0 {
		add("max_attachment_size must be positive, got %d", c.MaxAttachmentSize)
	}
	if c.OutboundBuffer <= 0 {
		add("outbound_buffer must be positive, got %d", c.OutboundBuffer)
	}
	if c.RecoveryLogFrames <= 0 || c.RecoveryLogBytes <= 0 || c.RecoveryMaxReplay <= 0 {
		add("recovery_log_frames, recovery_log_bytes and recovery_max_replay must be positive, got %d, %d and %d",
			c.RecoveryLogFrames, c.RecoveryLogBytes, c.RecoveryMaxReplay)
	}
	if c.OutboundBufferBytes <= 0 {
		add("outbound_buffer_bytes must be positive, got %d", c.OutboundBufferBytes)
	}
	if c.MaxConnections < 0 || c.MaxConnectionsPerIP < 0 {
		add("max_connections and max_connections_per_ip must be 0 (no limit) or positive, got %d and %d", c.MaxConnections, c.MaxConnectionsPerIP)
	}
	if c.RateLimit < 0 || (c.RateLimit > 0 && c.RateBurst < 1) {
		add("rate_limit must be 0 (off) or positive with rate_burst at least 1, got %v and %d", c.RateLimit, c.RateBurst)
	}
	if c.SlowConsumer != SlowConsumerDisconnect && c.SlowConsumer != SlowConsumerDrop {
		add("slow_consumer must be %q or %q, got %q", SlowConsumerDisconnect, SlowConsumerDrop, c.SlowConsumer)
	}
	if _, err := engineio.ParseOrigins(c.AllowedOrigins); err != nil {
		add("%v", err)
	}
	return errors.Join(errs...)
}
