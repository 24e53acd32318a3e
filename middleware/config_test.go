package middleware

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfig(t *testing.T) {
	def := DefaultConfig()
	tests := []struct {
		name string
		file string // name=content, "" for none
		env  map[string]string
		want func(c *Config)
	}{
		{"defaults", "", nil, func(c *Config) {}},
		{"yaml file", "eventwire.yaml=path: /ws/\nping_interval: 5s\nmax_payload: 2048\nallowed_origins:\n  - https://a.example\n",
			nil, func(c *Config) {
				c.Path, c.PingInterval, c.MaxPayload = "/ws/", 5*time.Second, 2048
				c.AllowedOrigins = []string{"https://a.example"}
			}},
		{"json file", `eventwire.json={"write_timeout":"3s","outbound_buffer":16}`, nil, func(c *Config) {
			c.WriteTimeout, c.OutboundBuffer = 3*time.Second, 16
		}},
		{"toml file", "eventwire.toml=connect_timeout = \"1m\"\n", nil, func(c *Config) { c.ConnectTimeout = time.Minute }},
		{"rate limit off by env", "", map[string]string{"EVENTWIRE_RATE_LIMIT": "0"}, func(c *Config) { c.RateLimit = 0 }},
		{"rate limits in a file", "eventwire.yaml=rate_limit: 5.5\nrate_burst: 9\nrate_limits:\n  say: {per_second: 2, burst: 5}\n", nil,
			func(c *Config) {
				c.RateLimit, c.RateBurst, c.RateLimits = 5.5, 9, map[string]Rate{"say": {PerSecond: 2, Burst: 5}}
			}},
		{"serve_client off by env", "", map[string]string{"EVENTWIRE_SERVE_CLIENT": "false"}, func(c *Config) { c.ServeClient = false }},
		{"serve_client off in a file", "eventwire.yaml=serve_client: false\n", nil, func(c *Config) { c.ServeClient = false }},
		{"env without file", "", map[string]string{
			"EVENTWIRE_PING_TIMEOUT":     "7s",
			"EVENTWIRE_OUTBOUND_BUFFER":  "32",
			"EVENTWIRE_ALLOWED_ORIGINS":  "https://a.example, https://b.example:8443,",
			"EVENTWIRE_CONNECT_TIMEOUT":  "2s",
			"EVENTWIRE_MAX_PAYLOAD":      "100",
			"EVENTWIRE_UNRELATED_IGNORE": "x",
		}, func(c *Config) {
			c.PingTimeout, c.OutboundBuffer, c.ConnectTimeout, c.MaxPayload = 7*time.Second, 32, 2*time.Second, 100
			c.AllowedOrigins = []string{"https://a.example", "https://b.example:8443"}
		}},
		{"env overrides file", "eventwire.yaml=path: /ws/\nping_interval: 5s\n",
			map[string]string{"EVENTWIRE_PING_INTERVAL": "9s"}, func(c *Config) {
				c.Path, c.PingInterval = "/ws/", 9*time.Second
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			file := ""
			if tc.file != "" {
				name, content, _ := strings.Cut(tc.file, "=")
				file = writeFile(t, name, content)
			}
			v, err := NewViper(file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := LoadConfig(v)
			if err != nil {
				t.Fatal(err)
			}
			want := def
			want.AllowedOrigins = []string{}
			tc.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestConfigFileFromEnv(t *testing.T) {
	path := writeFile(t, "c.yaml", "path: /rt/\n")
	t.Setenv("EVENTWIRE_CONFIG", path)
	v, err := NewViper("")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(v)
	if err != nil || cfg.Path != "/rt/" {
		t.Fatalf("got %+v, %v", cfg, err)
	}
	if _, err := NewViper(filepath.Join(t.TempDir(), "missing.yaml")); err == nil ||
		!strings.HasPrefix(err.Error(), "eventwire: config: read ") {
		t.Errorf("missing file: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"path without slashes", map[string]string{"EVENTWIRE_PATH": "socket.io"}, `path "socket.io" must start and end with "/"`},
		{"zero ping interval", map[string]string{"EVENTWIRE_PING_INTERVAL": "0s"}, "ping_interval must be a positive duration"},
		{"negative ping timeout", map[string]string{"EVENTWIRE_PING_TIMEOUT": "-1s"}, "ping_timeout must be a positive duration"},
		{"duration without unit", map[string]string{"EVENTWIRE_WRITE_TIMEOUT": "10"}, "write_timeout"},
		{"zero max payload", map[string]string{"EVENTWIRE_MAX_PAYLOAD": "0"}, "max_payload must be positive"},
		{"zero outbound buffer", map[string]string{"EVENTWIRE_OUTBOUND_BUFFER": "0"}, "outbound_buffer must be positive"},
		{"origin with path", map[string]string{"EVENTWIRE_ALLOWED_ORIGINS": "https://a.example/app"}, `allowed_origins: "https://a.example/app" is not scheme://host[:port]`},
		{"origin without scheme", map[string]string{"EVENTWIRE_ALLOWED_ORIGINS": "a.example"}, `allowed_origins: "a.example"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			v, err := NewViper("")
			if err != nil {
				t.Fatal(err)
			}
			_, err = LoadConfig(v)
			if err == nil || !strings.HasPrefix(err.Error(), "eventwire: config: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestBareDurationInFile(t *testing.T) {
	v, err := NewViper(writeFile(t, "c.yaml", "ping_interval: 25\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(v); err == nil || !strings.Contains(err.Error(), "has no unit") {
		t.Errorf("error %v", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Path = "/x"
	cfg.MaxPayload = -1
	_, err := New(testSchema(), WithConfig(cfg))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"eventwire: config: path", "eventwire: config: max_payload"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if _, err := New(testSchema(), WithConfig(Config{})); err == nil {
		t.Error("zero Config accepted")
	}
}
