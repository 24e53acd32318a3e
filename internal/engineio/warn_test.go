package engineio

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestWarningsBucket(t *testing.T) {
	var w warnings
	now := time.Unix(1000, 0)
	for i := range warnBurst {
		if ok, left := w.allow("origin", now); !ok || left != 0 {
			t.Fatalf("line %d of the burst: %v %d", i, ok, left)
		}
	}
	for range 7 {
		if ok, _ := w.allow("origin", now); ok {
			t.Fatal("a line past the burst was allowed")
		}
	}
	if ok, _ := w.allow("limit", now); !ok {
		t.Error("another kind shares the origin's bucket")
	}
	if ok, left := w.allow("origin", now.Add(warnEvery)); !ok || left != 7 {
		t.Errorf("a second later: %v, %d left out; want true, 7", ok, left)
	}
}

type plainWriter struct{ http.ResponseWriter }

type loopWriter struct{ http.ResponseWriter }

func (w *loopWriter) Unwrap() http.ResponseWriter { return w }

func TestCanHijack(t *testing.T) {
	hijackable := func(w http.ResponseWriter) bool { return canHijack(w) }
	rec := httptest.NewRecorder() // no Hijack
	if hijackable(rec) || hijackable(plainWriter{rec}) || hijackable(&loopWriter{rec}) {
		t.Error("a writer without a Hijacker underneath can hijack")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hijackable(w) || hijackable(plainWriter{w}) {
			t.Error("net/http's writer: want hijackable, and not behind a wrapper without Unwrap")
		}
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}
