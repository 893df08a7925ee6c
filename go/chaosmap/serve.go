package chaosmap

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
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

// served is the registry's entry for the map a request names, or false
// after one line on stderr saying it is not served here.
func served(r Registry, name string, stderr io.Writer) (Entry, bool) {
	entry, ok := r[name]
	if !ok {
		fmt.Fprintf(stderr, "request: map: %q is not served here (`list` names them)\n", name)
	}
	return entry, ok
}

// ServeArgs is Serve with its arguments and streams given: the exit code.
func ServeArgs(r Registry, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	usage := "usage: TARGET list | TARGET serve | TARGET bench (a request on stdin; see PROTOCOL.md)"
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
		entry, ok := served(r, req.Map, stderr)
		if !ok {
			return exitUsage
		}
		if err := Run(entry, req, stderr); err != nil {
			fmt.Fprintln(stderr, err)
			return exitUsage
		}
		fmt.Fprintln(stdout, "done")
		return 0
	case "bench":
		req, err := ReadBenchRequest(stdin)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitUsage
		}
		entry, ok := served(r, req.Map, stderr)
		if !ok {
			return exitUsage
		}
		fmt.Fprintf(stdout, "elapsed_ns=%d\n", Bench(entry, req).Nanoseconds())
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
	fmt.Fprintf(out, "chaos-target protocol=%d go=%s map=%s\n",
		ProtocolVersion, runtime.Version(), mapImpl(runtime.Version(), swissmapTag))
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
	// Range files, for the threads whose scripts have a Range: no other
	// thread writes one.
	ranges := make([]*os.File, len(req.Threads))
	for t, script := range req.Threads {
		if !slices.ContainsFunc(script, func(op Op) bool { return op[0] == OpRange }) {
			continue
		}
		f, err := os.OpenFile(fmt.Sprintf("%s.range%d", req.Events, t), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("events: %v", err)
		}
		defer f.Close()
		ranges[t] = f
	}
	// A final state left by an earlier run at this path must not pass for
	// this run's: it is written only once every op returned.
	if err := os.Remove(finalPath(req.Events)); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("events: %v", err)
	}
	base := time.Now()
	var ready, done sync.WaitGroup
	// release is the start line. The goroutines spin on it (yielding, so that
	// every one of them reaches it on however few Ps there are) instead
	// of blocking on a channel: a close wakes blocked goroutines one at a
	// time onto one P's queue, and a short script is over before the
	// next one is stolen, so its goroutines would seldom overlap.
	var release atomic.Bool
	// stderrMu serialises the goroutines' lines on stderr.
	var stderrMu sync.Mutex
	for t := range req.Threads {
		ready.Add(1)
		done.Add(1)
		go func(t int) {
			defer done.Done()
			w := worker{m: m, ev: ev, t: t, base: base, ranges: ranges[t]}
			// Which goroutine runs thread t, for reading a fatal error's
			// traceback (it names goroutines) back to threads.
			stderrMu.Lock()
			fmt.Fprintf(stderr, "chaos-target: thread %d goroutine %d\n", t, goroutineID())
			stderrMu.Unlock()
			var plan []uint32
			if len(req.Perturb) != 0 {
				plan = req.Perturb[t]
			}
			script := req.Threads[t]
			ready.Done()
			for !release.Load() {
				runtime.Gosched()
			}
			for i := 0; i < len(script); {
				at, msg := w.runFrom(i, script, plan)
				if at == len(script) {
					break
				}
				stderrMu.Lock()
				fmt.Fprintf(stderr, "chaos-target: panic: thread %d op %d: %s\n", t, at, msg)
				stderrMu.Unlock()
				i = at + 1
			}
		}(t)
	}
	ready.Wait()
	release.Store(true)
	done.Wait()
	return writeFinal(m, req)
}

// goroutineID is the calling goroutine's id, as tracebacks print it: the
// first line of its own stack trace is "goroutine 18 [running]:". 0 if that
// line is not of this form.
func goroutineID() uint64 {
	var buf [64]byte
	line := buf[:runtime.Stack(buf[:], false)]
	line, ok := bytes.CutPrefix(line, []byte("goroutine "))
	if !ok {
		return 0
	}
	if i := bytes.IndexByte(line, ' '); i >= 0 {
		line = line[:i]
	}
	id, err := strconv.ParseUint(string(line), 10, 64)
	if err != nil {
		return 0
	}
	return id
}

// finalPath is where Run leaves the map's final state.
func finalPath(events string) string { return events + ".final" }

// noLen is the final state's length of a map without a Len method.
const noLen = ^uint64(0)

// writeFinal writes the map's state after the run (PROTOCOL.md, "Final
// state"): its Len (noLen if it has none), then, for every distinct key the
// request names (prefill, and ops that take a key), in ascending order, the
// value a Load finds, if it finds one. Single-threaded: every op returned.
// It is written beside its path and renamed in place, so that the file
// either is whole or is not there.
func writeFinal(m Map, req *Request) error {
	seen := make(map[uint64]struct{})
	for _, kv := range req.Prefill {
		seen[kv[0]] = struct{}{}
	}
	for _, script := range req.Threads {
		for _, op := range script {
			if op[0] <= OpCompareAndDelete {
				seen[op[1]] = struct{}{}
			}
		}
	}
	keys := make([]uint64, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	length := noLen
	if l, ok := m.(Lener); ok {
		length = uint64(l.Len())
	}
	buf := make([]byte, 16, 16+16*len(keys))
	found := uint64(0)
	for _, k := range keys {
		if v, ok := m.Load(k); ok {
			buf = binary.LittleEndian.AppendUint64(buf, k)
			buf = binary.LittleEndian.AppendUint64(buf, v)
			found++
		}
	}
	binary.LittleEndian.PutUint64(buf[0:], length)
	binary.LittleEndian.PutUint64(buf[8:], found)
	path := finalPath(req.Events)
	if err := os.WriteFile(path+".tmp", buf, 0o600); err != nil {
		return fmt.Errorf("events: final: %v", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("events: final: %v", err)
	}
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

// runFrom runs script from op i on, each op after its step of plan (if
// any), until one panics: that op is recorded as panicked, and runFrom
// returns its index and message. It returns len(script) when every op ran.
// (One deferred recover for the whole loop, not one per op, which would
// cost each op a defer.)
func (w *worker) runFrom(i int, script []Op, plan []uint32) (at int, msg string) {
	at = i
	defer func() {
		if p := recover(); p != nil {
			w.complete(w.ev.record(w.t, at), 0, flagPanicked)
			msg = fmt.Sprint(p)
		}
	}()
	for ; at < len(script); at++ {
		if plan != nil {
			perturb(plan[at])
		}
		w.run(at, script[at])
	}
	return at, ""
}

// run does op i and records it: the invoke stamp swapped in (an
// acquire-release RMW that the op's first access cannot pass, whose value
// depends on the clock read) before the op; after it, the result and the
// return stamp (complete). A panic in the op leaves the record invoked,
// for runFrom to complete.
func (w *worker) run(i int, op Op) {
	rec := w.ev.record(w.t, i)
	atomic.SwapUint64(&rec[0], w.now())
	a, b := w.apply(op)
	w.complete(rec, a, b)
}

// complete stores an op's result (a, b) in its record, then its return
// stamp, last, so that a record with a return stamp is complete. a is a
// plain store; b is swapped in, and that swap is the fence that the op's
// every access and the store of a complete before (XCHG on amd64, SWPAL or
// LDAXR/STLXR on arm64) and that the clock read does not pass. It is a
// word of this op's own record, which no other goroutine touches, so the
// fence costs no cache-line traffic between them.
func (w *worker) complete(rec []uint64, a, b uint64) {
	rec[2] = a
	atomic.SwapUint64(&rec[3], b)
	atomic.StoreUint64(&rec[1], w.now())
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
			// sync.Map has no len: the op is answered, not failed.
			return 0, flagUnsupported
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
