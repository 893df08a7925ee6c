package chaosmap_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"chaos/go/chaosmap"
	"chaos/go/maps"
)

func request(t *testing.T, threads [][]chaosmap.Op) (*chaosmap.Request, string) {
	t.Helper()
	events := filepath.Join(t.TempDir(), "events")
	return &chaosmap.Request{Protocol: 1, Map: "rwmutex", Threads: threads, Events: events}, events
}

// One goroutine's script gives exactly the sequential results, in records.
func TestOneThreadRecordsEachResult(t *testing.T) {
	script := []chaosmap.Op{
		{chaosmap.OpLoad, 1, 0, 0},
		{chaosmap.OpStore, 1, 10, 0},
		{chaosmap.OpLoad, 1, 0, 0},
		{chaosmap.OpLoadOrStore, 1, 11, 0},
		{chaosmap.OpSwap, 1, 12, 0},
		{chaosmap.OpCompareAndSwap, 1, 12, 13},
		{chaosmap.OpCompareAndDelete, 1, 99, 0},
		{chaosmap.OpStore, 2, 20, 0},
		{chaosmap.OpRange, 0, 0, 0},
		{chaosmap.OpLen, 0, 0, 0},
		{chaosmap.OpLoadAndDelete, 1, 0, 0},
		{chaosmap.OpClear, 0, 0, 0},
		{chaosmap.OpLen, 0, 0, 0},
	}
	req, events := request(t, [][]chaosmap.Op{script})
	if err := chaosmap.Run(maps.Builtin()["rwmutex"], req, os.Stderr); err != nil {
		t.Fatal(err)
	}
	recs, err := chaosmap.ReadEvents(events)
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]uint64{
		{0, 0}, {0, 0}, {10, 1}, {10, 1}, {10, 1}, {0, 1}, {0, 0}, {0, 0},
		{0, 2 << 1}, {2, 0}, {13, 1}, {0, 0}, {0, 0},
	}
	var last uint64
	for i, r := range recs[0] {
		if got := [2]uint64{r.A, r.B}; got != want[i] {
			t.Errorf("op %d: (a, b) = %v, want %v", i, got, want[i])
		}
		if r.Invoke == 0 || r.Return < r.Invoke || r.Invoke < last {
			t.Errorf("op %d: stamps %d..%d after %d", i, r.Invoke, r.Return, last)
		}
		last = r.Return
	}
	entries, err := os.ReadFile(events + ".range0")
	if err != nil || len(entries) != 32 {
		t.Fatalf("range entries: %d bytes, %v", len(entries), err)
	}
}

// Every goroutine's every op is recorded, each returned after its call.
func TestManyThreadsRecordEveryOp(t *testing.T) {
	var threads [][]chaosmap.Op
	for g := 0; g < 8; g++ {
		var s []chaosmap.Op
		for i := 0; i < 500; i++ {
			s = append(s, chaosmap.Op{uint64(i % 4), uint64(i % 16), uint64(g<<32 | i), 0})
		}
		threads = append(threads, s)
	}
	req, events := request(t, threads)
	req.Gomaxprocs = 4
	req.Perturb = make([][]uint32, len(threads))
	for g := range threads {
		req.Perturb[g] = make([]uint32, len(threads[g]))
		for i := range req.Perturb[g] {
			req.Perturb[g][i] = uint32(i % 3)
		}
	}
	for _, name := range []string{"rwmutex", "mutex", "syncmap"} {
		req.Map = name
		if err := chaosmap.Run(maps.Builtin()[name], req, os.Stderr); err != nil {
			t.Fatal(err)
		}
		recs, err := chaosmap.ReadEvents(events)
		if err != nil {
			t.Fatal(err)
		}
		for g, rs := range recs {
			if len(rs) != 500 {
				t.Fatalf("%s: thread %d: %d records", name, g, len(rs))
			}
			for i, r := range rs {
				if r.Invoke == 0 || r.Return < r.Invoke {
					t.Fatalf("%s: thread %d op %d: stamps %d..%d", name, g, i, r.Invoke, r.Return)
				}
			}
		}
	}
}

// A bad request is one line naming what is wrong, and exit code 64.
func TestBadRequestsAreOneLineAndExit64(t *testing.T) {
	for _, c := range []struct{ body, says string }{
		{`{"protocol":2,"map":"rwmutex","threads":[[]],"events":"x"}`, "protocol 2"},
		{`{"protocol":1,"map":"nope","threads":[[]],"events":"x"}`, `"nope" is not served`},
		{`{"protocol":1,"map":"rwmutex","threads":[],"events":"x"}`, "threads"},
		{`{"protocol":1,"map":"rwmutex","threads":[[[99,0,0,0]]],"events":"x"}`, "kind 99"},
		{`{"protocol":1,"map":"rwmutex","threads":[[]],"events":"x","extra":1}`, "extra"},
		{`{"protocol":1,"map":"rwmutex","threads":[[[0,1,0,0]]],"perturb":[[]],"events":"x"}`, "perturb[0]"},
	} {
		var out, errb bytes.Buffer
		code := chaosmap.ServeArgs(maps.Builtin(), []string{"serve"}, strings.NewReader(c.body), &out, &errb)
		lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
		if code != 64 || len(lines) != 1 || !strings.Contains(lines[0], c.says) {
			t.Errorf("%s: exit %d, stderr %q; want 64 and one line with %q", c.body, code, errb.String(), c.says)
		}
	}
}

// `list` names each map with what it declares.
func TestListDeclaresEachMap(t *testing.T) {
	var out, errb bytes.Buffer
	if code := chaosmap.ServeArgs(maps.Builtin(), []string{"list"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	text := out.String()
	for _, want := range []string{
		"chaos-target protocol=1 go=go",
		"map range=snapshot clear=atomic len=exact has_len=true expect=throw\t",
		"rwmutex range=snapshot clear=atomic len=exact has_len=true expect=clean\t",
		"syncmap range=weak clear=" + maps.SyncMapClear + " len=exact has_len=false expect=clean\t",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("list lacks %q:\n%s", want, text)
		}
	}
	// The request format round-trips through JSON as the protocol says.
	b, _ := json.Marshal(chaosmap.Request{Protocol: 1, Threads: [][]chaosmap.Op{{{1, 2, 3, 0}}}})
	if !strings.Contains(string(b), `"threads":[[[1,2,3,0]]]`) {
		t.Errorf("wire form: %s", b)
	}
}
