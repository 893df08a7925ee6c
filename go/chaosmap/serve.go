package chaosmap

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// exitUsage is a target's exit code for a bad request or argument (one
// line on stderr): not 2, which is the Go runtime's for a fatal error or an
// unrecovered panic.
const exitUsage = 64

// Serve is a target's main: `list` prints the registry, `serve` runs one
// request from stdin. A bad request or argument is one line on stderr and
// exit code 64.
func Serve(r Registry) {
	os.Exit(ServeArgs(r, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// ServeArgs is Serve with its arguments and streams given: the exit code.
func ServeArgs(r Registry, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	usage := "usage: TARGET list | TARGET serve (a request on stdin; see PROTOCOL.md)"
	if len(args) != 1 {
		fmt.Fprintln(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "list":
		list(r, stdout)
		return 0
	case "serve":
		req, err := ReadRequest(stdin)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitUsage
		}
		entry, ok := r[req.Map]
		if !ok {
			fmt.Fprintf(stderr, "request: map: %q is not served here (`list` names them)\n", req.Map)
			return exitUsage
		}
		if err := Run(entry, req, stderr); err != nil {
			fmt.Fprintln(stderr, err)
			return exitUsage
		}
		fmt.Fprintln(stdout, "done")
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q; %s\n", args[0], usage)
		return exitUsage
	}
}

// list prints one line per map: name, then its declared semantics and
// expectation as key=value, then its description after a tab.
func list(r Registry, w io.Writer) {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	sort.Strings(names)
	out := bufio.NewWriter(w)
	defer out.Flush()
	fmt.Fprintf(out, "chaos-target protocol=%d go=%s\n", ProtocolVersion, runtime.Version())
	for _, n := range names {
		e := r[n]
		s := e.semantics()
		expect := e.Expect
		if expect == "" {
			expect = "clean"
		}
		_, hasLen := e.New().(Lener)
		fmt.Fprintf(out, "%s range=%s clear=%s len=%s has_len=%t expect=%s\t%s\n",
			n, s.Range, s.Clear, s.Len, hasLen, expect, e.About)
	}
}

// Run runs req on a fresh map of entry: the prefill, then every script on
// its own goroutine, all released together, each op recorded in the
// events file. A panic in an op is recorded and the goroutine goes on; a
// fatal error ends the process, and the file keeps what was recorded.
func Run(entry Entry, req *Request, stderr io.Writer) error {
	if req.Gomaxprocs > 0 {
		runtime.GOMAXPROCS(req.Gomaxprocs)
	}
	m := entry.New()
	for _, kv := range req.Prefill {
		m.Store(kv[0], kv[1])
	}
	ev, err := CreateEvents(req.Events, req.Threads)
	if err != nil {
		return err
	}
	defer ev.Close()
	ranges := make([]*os.File, len(req.Threads))
	for t := range req.Threads {
		f, err := os.OpenFile(fmt.Sprintf("%s.range%d", req.Events, t), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("events: %v", err)
		}
		defer f.Close()
		ranges[t] = f
	}
	base := time.Now()
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	var panics sync.Mutex
	for t := range req.Threads {
		ready.Add(1)
		done.Add(1)
		go func(t int) {
			defer done.Done()
			w := worker{m: m, ev: ev, t: t, base: base, ranges: ranges[t]}
			ready.Done()
			<-start
			for i, op := range req.Threads[t] {
				if len(req.Perturb) != 0 {
					perturb(req.Perturb[t][i])
				}
				if msg, ok := w.run(i, op); !ok {
					panics.Lock()
					fmt.Fprintf(stderr, "chaos-target: panic: thread %d op %d: %s\n", t, i, msg)
					panics.Unlock()
				}
			}
		}(t)
	}
	ready.Wait()
	close(start)
	done.Wait()
	return nil
}

// perturb is the plan's step before an op.
func perturb(p uint32) {
	switch {
	case p == 1:
		runtime.Gosched()
	case p > 1:
		for i := uint32(1); i < p; i++ {
			spin.Add(1)
		}
	}
}

// spin is what a perturbation spins on, so the loop is not optimised out.
var spin atomic.Uint64

// fence is a full barrier: an atomic read-modify-write (LOCK XADD on
// amd64, LDADDAL on arm64), which no load or store crosses.
var fenceWord atomic.Uint64

// worker runs one goroutine's script.
type worker struct {
	m      Map
	ev     *Events
	t      int
	base   time.Time
	ranges *os.File
	// entries is how many range entries this thread has written.
	entries uint64
}

// now is the monotonic clock, in nanoseconds since the run began, plus one
// (0 in a record means "not yet").
func (w *worker) now() uint64 {
	return uint64(time.Since(w.base).Nanoseconds()) + 1
}

// run does op i and records it: the invoke stamp stored (swapped in, an
// acquire-release RMW that the op's first access cannot pass, whose value
// depends on the clock read) before the op, the result, then a fence and
// the return stamp, stored last so that a record with a return stamp is
// complete. It reports a panic instead of propagating it.
func (w *worker) run(i int, op Op) (msg string, ok bool) {
	rec := w.ev.record(w.t, i)
	atomic.SwapUint64(&rec[0], w.now())
	var a, b uint64
	defer func() {
		if p := recover(); p != nil {
			store(&rec[2], 0)
			store(&rec[3], flagPanicked)
			fenceWord.Add(1)
			store(&rec[1], w.now())
			msg, ok = fmt.Sprint(p), false
		}
	}()
	a, b = w.apply(op)
	store(&rec[2], a)
	store(&rec[3], b)
	fenceWord.Add(1)
	store(&rec[1], w.now())
	return "", true
}

func flag(ok bool) uint64 {
	if ok {
		return flagOK
	}
	return 0
}

// apply runs one op and encodes its result as (a, b): PROTOCOL.md,
// "Records".
func (w *worker) apply(op Op) (uint64, uint64) {
	m, key := w.m, op[1]
	switch op[0] {
	case OpLoad:
		v, ok := m.Load(key)
		return v, flag(ok)
	case OpStore:
		m.Store(key, op[2])
		return 0, 0
	case OpDelete:
		m.Delete(key)
		return 0, 0
	case OpLoadOrStore:
		v, loaded := m.LoadOrStore(key, op[2])
		return v, flag(loaded)
	case OpLoadAndDelete:
		v, loaded := m.LoadAndDelete(key)
		return v, flag(loaded)
	case OpSwap:
		v, loaded := m.Swap(key, op[2])
		return v, flag(loaded)
	case OpCompareAndSwap:
		return 0, flag(m.CompareAndSwap(key, op[2], op[3]))
	case OpCompareAndDelete:
		return 0, flag(m.CompareAndDelete(key, op[2]))
	case OpRange:
		return w.rangeOp(op[2])
	case OpClear:
		m.Clear()
		return 0, 0
	case OpLen:
		l, ok := m.(Lener)
		if !ok {
			panic("Len: this map has no Len method")
		}
		return uint64(l.Len()), 0
	}
	panic(fmt.Sprintf("kind %d", op[0]))
}

// rangeOp ranges over the map (at most limit entries; 0: all) and appends
// what it saw to the thread's range file before the record is completed:
// a is the index of its first entry there, b the count shifted left by one.
func (w *worker) rangeOp(limit uint64) (uint64, uint64) {
	var seen [][2]uint64
	w.m.Range(func(k, v uint64) bool {
		seen = append(seen, [2]uint64{k, v})
		return limit == 0 || uint64(len(seen)) < limit
	})
	buf := make([]byte, 16*len(seen))
	for j, kv := range seen {
		binary.LittleEndian.PutUint64(buf[16*j:], kv[0])
		binary.LittleEndian.PutUint64(buf[16*j+8:], kv[1])
	}
	if _, err := w.ranges.Write(buf); err != nil {
		panic(fmt.Sprintf("writing range entries: %v", err))
	}
	first := w.entries
	w.entries += uint64(len(seen))
	return first, uint64(len(seen)) << 1
}
