package redis

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/eventwire/eventwire/middleware"
	"github.com/eventwire/eventwire/middleware/adapter/adaptertest"
)

// TestAppendBatchOnce: a batch sent again (as go-redis retries a command
// whose reply was lost) is appended once.
func TestAppendBatchOnce(t *testing.T) {
	p := adaptertest.StartProcess(t, "redis-server", func(port int) []string {
		return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}
	})
	a, err := New("redis://" + p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const stream = "eventwire#log#/"
	limits := middleware.LogLimits{MaxEntries: 100, MaxBytes: 1 << 20, MaxAge: time.Hour}
	if _, err := a.SubscribeLogs(ctx, []string{stream}, limits, func(string, middleware.LogEntry) {}); err != nil {
		t.Fatal(err)
	}
	args := append(limitArgs(limits), stream, []byte("one"), []byte("two"))
	for range 2 {
		if err := a.appendBatch(ctx, stream, "batch-1", args); err != nil {
			t.Fatal(err)
		}
	}
	st, entries, err := a.ReadLog(ctx, stream, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if st.Last != 2 || len(entries) != 2 {
		t.Errorf("after one batch sent twice: Last %d, %d entries; want 2 and 2", st.Last, len(entries))
	}
}
