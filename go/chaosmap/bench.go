package chaosmap

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Bench runs req on a fresh map of entry for throughput (`TARGET bench`,
// PROTOCOL.md): the prefill, then every script on its own goroutine, all
// released together as Run releases them, with nothing recorded and
// nothing perturbed. It returns the wall time from the release to the
// last goroutine's last op. A fatal error ends the process, as in Run; a
// panic in an op is not recovered either (a bench has no record to put
// it in).
func Bench(entry Entry, req *Request) time.Duration {
	if req.Gomaxprocs > 0 {
		runtime.GOMAXPROCS(req.Gomaxprocs)
	}
	m := entry.New()
	for _, kv := range req.Prefill {
		m.Store(kv[0], kv[1])
	}
	var ready, done sync.WaitGroup
	var release atomic.Bool
	for t := range req.Threads {
		ready.Add(1)
		done.Add(1)
		go func(script []Op) {
			defer done.Done()
			ready.Done()
			for !release.Load() {
				runtime.Gosched()
			}
			var sum uint64
			for _, op := range script {
				sum += benchApply(m, op)
			}
			sink.Add(sum)
		}(req.Threads[t])
	}
	ready.Wait()
	start := time.Now()
	release.Store(true)
	done.Wait()
	return time.Since(start)
}

// sink keeps what the ops returned alive, so no op is optimised out.
var sink atomic.Uint64

// benchApply runs one op and folds its result into one word.
func benchApply(m Map, op Op) uint64 {
	key := op[1]
	switch op[0] {
	case OpLoad:
		v, _ := m.Load(key)
		return v
	case OpStore:
		m.Store(key, op[2])
	case OpDelete:
		m.Delete(key)
	case OpLoadOrStore:
		v, _ := m.LoadOrStore(key, op[2])
		return v
	case OpLoadAndDelete:
		v, _ := m.LoadAndDelete(key)
		return v
	case OpSwap:
		v, _ := m.Swap(key, op[2])
		return v
	case OpCompareAndSwap:
		return flag(m.CompareAndSwap(key, op[2], op[3]))
	case OpCompareAndDelete:
		return flag(m.CompareAndDelete(key, op[2]))
	case OpRange:
		var seen, sum uint64
		m.Range(func(k, v uint64) bool {
			seen++
			sum += k ^ v
			return op[2] == 0 || seen < op[2]
		})
		return sum
	case OpClear:
		m.Clear()
	case OpLen:
		if l, ok := m.(Lener); ok {
			return uint64(l.Len())
		}
	}
	return 0
}
