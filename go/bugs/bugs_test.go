package bugs

import (
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"chaos/go/chaosmap"
	"chaos/go/chaosmap/chaosmaptest"
)

// One goroutine: every planted bug answers as a plain map would (its Len
// too); each needs concurrency to show.
func TestBugsAreSequentiallyAMap(t *testing.T) {
	for name, entry := range Entries() {
		chaosmaptest.Sequential(t, name, entry)
	}
}

// Each entry says what it is and what chaos should find, and has a Len.
func TestEntriesDeclareTheirBug(t *testing.T) {
	want := map[string]string{
		"bug-write-under-rlock": "throw",
		"bug-unlocked-read":     "throw",
		"bug-check-then-act":    "finding",
		"bug-split-swap":        "finding",
		"bug-shard-clear":       "finding",
	}
	entries := Entries()
	if len(entries) != len(want) {
		t.Errorf("%d entries, want %d", len(entries), len(want))
	}
	for name, expect := range want {
		e, ok := entries[name]
		if !ok {
			t.Errorf("no %s", name)
			continue
		}
		if e.Expect != expect {
			t.Errorf("%s: Expect %q, want %q", name, e.Expect, expect)
		}
		if !strings.HasPrefix(e.About, "planted bug: ") || !strings.HasSuffix(e.About, "; has Len") {
			t.Errorf("%s: About %q", name, e.About)
		}
		if _, ok := e.New().(chaosmap.Lener); !ok {
			t.Errorf("%s: no Len", name)
		}
	}
	if c := entries["bug-shard-clear"].Semantics.Clear; c != "atomic" {
		t.Errorf("bug-shard-clear declares Clear %q; its bug is against atomic", c)
	}
}

// The shards' Clear is not atomic: stopped between two shards, it has
// cleared one and not the other (what chaos catches under concurrency).
func TestShardClearClearsOneShardAtATime(t *testing.T) {
	c := NewShardClear().(*ShardClear)
	c.Store(0, 1) // shard 0
	c.Store(1, 1) // shard 1
	c.shards[1].mu.Lock()
	cleared := make(chan struct{})
	go func() { c.Clear(); close(cleared) }()
	// Clear is now past shard 0, waiting for shard 1's lock.
	for {
		c.shards[0].mu.Lock()
		_, has0 := c.shards[0].m[0]
		c.shards[0].mu.Unlock()
		if !has0 {
			break
		}
		runtime.Gosched()
	}
	if _, has1 := c.shards[1].m[1]; !has1 {
		t.Fatal("shard 1 cleared while its lock was held")
	}
	c.shards[1].mu.Unlock()
	<-cleared
	if n := c.Len(); n != 0 {
		t.Errorf("Len after Clear: %d", n)
	}
}

// run serves threads on the named bug in this process and returns the
// records; the run must finish (these bugs never throw). The race needs
// goroutines running in parallel: on one CPU the test is skipped.
func run(t *testing.T, name string, threads [][]chaosmap.Op) [][]chaosmap.Record {
	t.Helper()
	if runtime.NumCPU() < 2 {
		t.Skip("one CPU: the goroutines would take turns and rarely race")
	}
	events := filepath.Join(t.TempDir(), "events")
	req := &chaosmap.Request{Protocol: 1, Map: name, Gomaxprocs: 4, Threads: threads, Events: events}
	if err := chaosmap.Run(Entries()[name], req, io.Discard); err != nil {
		t.Fatal(err)
	}
	recs, err := chaosmap.ReadEvents(events)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// 8 goroutines LoadOrStore the same 2,000 keys: an atomic LoadOrStore
// stores each key once, and the rest load it. CheckThenAct, on the real
// runtime, reports some key stored twice.
func TestCheckThenActStoresAKeyTwice(t *testing.T) {
	threads := make([][]chaosmap.Op, 8)
	for g := range threads {
		for k := 0; k < 2000; k++ {
			threads[g] = append(threads[g], chaosmap.Op{chaosmap.OpLoadOrStore, uint64(k), uint64(g), 0})
		}
	}
	for try := 0; try < 20; try++ {
		stored := map[uint64]int{}
		for g, rs := range run(t, "bug-check-then-act", threads) {
			for i, r := range rs {
				if r.B&1 == 0 {
					stored[threads[g][i][1]]++
				}
			}
		}
		for k, n := range stored {
			if n > 1 {
				t.Logf("try %d: key %d stored by %d LoadOrStores", try, k, n)
				return
			}
		}
	}
	t.Error("20 runs: every key stored once")
}

// 8 goroutines Swap one key, each value distinct: an atomic Swap returns
// each value as previous at most once. SplitSwap, on the real runtime,
// returns some value twice.
func TestSplitSwapReturnsAValueTwice(t *testing.T) {
	threads := make([][]chaosmap.Op, 8)
	for g := range threads {
		for i := 0; i < 2000; i++ {
			threads[g] = append(threads[g], chaosmap.Op{chaosmap.OpSwap, 1, uint64(g<<32 | i), 0})
		}
	}
	for try := 0; try < 20; try++ {
		previous := map[uint64]int{}
		for _, rs := range run(t, "bug-split-swap", threads) {
			for _, r := range rs {
				if r.B&1 != 0 {
					previous[r.A]++
				}
			}
		}
		for v, n := range previous {
			if n > 1 {
				t.Logf("try %d: value %#x swapped out %d times", try, v, n)
				return
			}
		}
	}
	t.Error("20 runs: every value swapped out once at most")
}
