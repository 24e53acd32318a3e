package serve

import (
	"os"
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
