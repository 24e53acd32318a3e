package serve

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestSettings(t *testing.T) {
	file := t.TempDir() + "/chat.yaml"
	if err := os.WriteFile(file, []byte("addr: 127.0.0.1:7000\nping_interval: 5s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantAddr string
		wantPing time.Duration
	}{
		{"embedded defaults", nil, nil, "127.0.0.1:5050", 25 * time.Second},
		{"environment", nil, map[string]string{"EVENTWIRE_ADDR": "127.0.0.1:6000", "EVENTWIRE_PING_INTERVAL": "3s"}, "127.0.0.1:6000", 3 * time.Second},
		{"flag wins over environment", []string{"-addr", "127.0.0.1:0"}, map[string]string{"EVENTWIRE_ADDR": "127.0.0.1:6000"}, "127.0.0.1:0", 25 * time.Second},
		{"config file", []string{"-config", file}, nil, "127.0.0.1:7000", 5 * time.Second},
		{"environment wins over file", []string{"-config", file}, map[string]string{"EVENTWIRE_ADDR": "127.0.0.1:6000"}, "127.0.0.1:6000", 5 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"EVENTWIRE_ADDR", "EVENTWIRE_PING_INTERVAL", "EVENTWIRE_CONFIG"} {
				t.Setenv(k, tc.env[k])
				if tc.env[k] == "" {
					os.Unsetenv(k)
				}
			}
			s, err := Load("chat", "127.0.0.1:5050", tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if s.Addr != tc.wantAddr || s.Config.PingInterval != tc.wantPing {
				t.Errorf("addr %q ping %v, want %q %v", s.Addr, s.Config.PingInterval, tc.wantAddr, tc.wantPing)
			}
		})
	}
}

func TestAdapterSetting(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		want      bool   // a cluster option
		wantError string // part of the error; "" for none
	}{
		{"default: one process", nil, false, ""},
		{"memory", map[string]string{"EVENTWIRE_ADAPTER": "Memory"}, false, ""},
		{"unknown", map[string]string{"EVENTWIRE_ADAPTER": "kafka"}, false, `adapter "kafka"`},
		{"redis unreachable", map[string]string{"EVENTWIRE_ADAPTER": "redis", "EVENTWIRE_REDIS_URL": "redis://127.0.0.1:1"}, false, "redis adapter"},
		{"nats unreachable", map[string]string{"EVENTWIRE_ADAPTER": "nats", "EVENTWIRE_NATS_URL": "nats://127.0.0.1:1"}, false, "nats adapter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"EVENTWIRE_ADAPTER", "EVENTWIRE_REDIS_URL", "EVENTWIRE_NATS_URL", "EVENTWIRE_CONFIG"} {
				t.Setenv(k, tc.env[k])
				if tc.env[k] == "" {
					os.Unsetenv(k)
				}
			}
			s, err := Load("chat", "127.0.0.1:0", nil)
			switch {
			case tc.wantError != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantError)
				}
			case err != nil:
				t.Fatal(err)
			case (s.Cluster != nil) != tc.want:
				t.Errorf("cluster option %v, want one: %v", s.Cluster != nil, tc.want)
			}
		})
	}
}

// TestRecoverySetting: the examples recover sessions unless told not to,
// with a broker as without.
func TestRecoverySetting(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"default: on", nil, true},
		{"memory: on", map[string]string{"EVENTWIRE_ADAPTER": "memory"}, true},
		{"turned off", map[string]string{"EVENTWIRE_RECOVERY": "false"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			s, err := Load("chat", "127.0.0.1:5050", nil)
			if err != nil {
				t.Fatal(err)
			}
			if s.Config.Recovery != tc.want {
				t.Errorf("Recovery = %v, want %v", s.Config.Recovery, tc.want)
			}
		})
	}
}
