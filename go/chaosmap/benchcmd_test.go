package chaosmap_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"chaos/go/chaosmap"
	"chaos/go/maps"
)

// `bench` runs every script on the named map and prints the elapsed
// nanoseconds, one line; the ops really ran (every store is there after).
func TestBenchRunsTheScriptsAndPrintsElapsedNanoseconds(t *testing.T) {
	var threads [][]chaosmap.Op
	for g := uint64(0); g < 4; g++ {
		var script []chaosmap.Op
		for i := uint64(0); i < 100; i++ {
			k := g*100 + i
			script = append(script,
				chaosmap.Op{chaosmap.OpStore, k, k + 1, 0},
				chaosmap.Op{chaosmap.OpLoad, k, 0, 0},
				chaosmap.Op{chaosmap.OpRange, 0, 3, 0})
		}
		threads = append(threads, script)
	}
	req := &chaosmap.Request{Protocol: 1, Map: "mutex", Threads: threads, Prefill: [][2]uint64{{1000, 1}}}
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := chaosmap.ServeArgs(maps.Builtin(), []string{"bench"}, bytes.NewReader(body), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	line := strings.TrimSpace(stdout.String())
	ns, err := strconv.ParseInt(strings.TrimPrefix(line, "elapsed_ns="), 10, 64)
	if !strings.HasPrefix(line, "elapsed_ns=") || err != nil || ns <= 0 {
		t.Fatalf("stdout %q: want elapsed_ns=N, N > 0", line)
	}

	m := maps.NewMutex()
	entry := chaosmap.Entry{New: func() chaosmap.Map { return m }}
	if d := chaosmap.Bench(entry, req); d <= 0 {
		t.Fatalf("elapsed %v", d)
	}
	for k := uint64(0); k < 400; k++ {
		if v, ok := m.Load(k); !ok || v != k+1 {
			t.Fatalf("key %d: %d %v after the bench", k, v, ok)
		}
	}
	if v, ok := m.Load(1000); !ok || v != 1 {
		t.Fatalf("prefill: %d %v", v, ok)
	}
}

// A bench request has no events file and no perturbation plan: either is
// refused in one line, exit 64.
func TestBenchRefusesEventsAndPerturbation(t *testing.T) {
	script := [][]chaosmap.Op{{{chaosmap.OpLoad, 1, 0, 0}}}
	for _, req := range []chaosmap.Request{
		{Protocol: 1, Map: "mutex", Threads: script, Events: "/tmp/x"},
		{Protocol: 1, Map: "mutex", Threads: script, Perturb: [][]uint32{{1}}},
		{Protocol: 1, Map: "nope", Threads: script},
	} {
		body, _ := json.Marshal(req)
		var stdout, stderr bytes.Buffer
		code := chaosmap.ServeArgs(maps.Builtin(), []string{"bench"}, bytes.NewReader(body), &stdout, &stderr)
		if code != 64 || strings.Count(stderr.String(), "\n") != 1 || stdout.Len() != 0 {
			t.Fatalf("%+v: exit %d, stdout %q, stderr %q", req, code, stdout.String(), stderr.String())
		}
	}
}
