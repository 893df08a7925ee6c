package chaosmap_test

import (
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"chaos/go/chaosmap"
	"chaos/go/maps"
)

// overheadThreads is the benchmark's workload: 80,000 ops split over g
// goroutines, 70% Loads and 30% Stores over 1,000 keys (fixed seed).
func overheadThreads(g int) [][]chaosmap.Op {
	rng := rand.New(rand.NewSource(1))
	threads := make([][]chaosmap.Op, g)
	for g := range threads {
		for i := 0; i < 80000/len(threads); i++ {
			kind := uint64(chaosmap.OpLoad)
			if rng.Intn(10) < 3 {
				kind = chaosmap.OpStore
			}
			threads[g] = append(threads[g], chaosmap.Op{kind, uint64(rng.Intn(1000)), rng.Uint64(), 0})
		}
	}
	return threads
}

// runPlain runs the scripts on m as Run does, goroutines released
// together, but with nothing recorded.
func runPlain(m chaosmap.Map, threads [][]chaosmap.Op) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for t := range threads {
		ready.Add(1)
		done.Add(1)
		go func(script []chaosmap.Op) {
			defer done.Done()
			ready.Done()
			<-start
			for _, op := range script {
				switch op[0] {
				case chaosmap.OpLoad:
					m.Load(op[1])
				case chaosmap.OpStore:
					m.Store(op[1], op[2])
				}
			}
		}(threads[t])
	}
	ready.Wait()
	close(start)
	done.Wait()
}

// What recording costs: the same workload on a map under a sync.RWMutex,
// run plainly and through Run (every op stamped and recorded, the final
// state written). Each iteration is one whole run on a fresh map; the
// metric is ops per second. Each recorded run has a new events path in
// b.TempDir, as chaos gives each run a new directory; its files are
// removed with the timer stopped. g8: 8 goroutines of 10,000 ops (the
// figure the project quotes); g1: one goroutine of 80,000, where no lock
// is contended and the difference is the recording alone.
func BenchmarkOverhead(b *testing.B) {
	for _, g := range []int{8, 1} {
		b.Run(fmt.Sprintf("g%d", g), func(b *testing.B) { overhead(b, overheadThreads(g)) })
	}
}

// overhead runs threads plainly and recorded, as sub-benchmarks.
func overhead(b *testing.B, threads [][]chaosmap.Op) {
	ops := 0
	for _, s := range threads {
		ops += len(s)
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(ops)*float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	}
	b.Run("plain", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			runPlain(maps.NewRWMutex(), threads)
		}
		report(b)
	})
	b.Run("recorded", func(b *testing.B) {
		entry := maps.Builtin()["rwmutex"]
		dir := b.TempDir()
		for i := 0; i < b.N; i++ {
			events := filepath.Join(dir, fmt.Sprintf("events%d", i))
			req := &chaosmap.Request{Protocol: 1, Map: "rwmutex", Threads: threads, Events: events}
			if err := chaosmap.Run(entry, req, io.Discard); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			files, _ := filepath.Glob(events + "*")
			for _, f := range files {
				os.Remove(f)
			}
			b.StartTimer()
		}
		report(b)
	})
}
