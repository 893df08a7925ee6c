package chaosmap_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
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
	if err := chaosmap.Run(maps.Builtin()["rwmutex"], req, io.Discard); err != nil {
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
		if err := chaosmap.Run(maps.Builtin()[name], req, io.Discard); err != nil {
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
		// No script ranges, so there is no range file.
		if _, err := os.Stat(events + ".range0"); !os.IsNotExist(err) {
			t.Errorf("%s: a range file with no Range: %v", name, err)
		}
		// Every key in the map came from the request, so the final state
		// lists them all: as many as Len says, where there is one.
		length, kvs := readFinal(t, events)
		_, hasLen := maps.Builtin()[name].New().(chaosmap.Lener)
		if hasLen && length != uint64(len(kvs)) || !hasLen && length != ^uint64(0) || len(kvs) == 0 {
			t.Errorf("%s: final len %d, %d entries", name, length, len(kvs))
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
	first, _, _ := strings.Cut(text, "\n")
	if !regexp.MustCompile(`^chaos-target protocol=1 go=.+ map=(swiss|classic)$`).MatchString(first) ||
		!strings.HasPrefix(first, "chaos-target protocol=1 go="+runtime.Version()+" map=") {
		t.Errorf("first line %q", first)
	}
	for _, want := range []string{
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

// Before the release, each goroutine names itself on stderr, one line per
// thread, with the id a traceback would give it.
func TestEachThreadNamesItsGoroutine(t *testing.T) {
	threads := make([][]chaosmap.Op, 6)
	for g := range threads {
		threads[g] = []chaosmap.Op{{chaosmap.OpStore, uint64(g), 1, 0}}
	}
	req, _ := request(t, threads)
	var stderr bytes.Buffer
	if err := chaosmap.Run(maps.Builtin()["rwmutex"], req, &stderr); err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^chaos-target: thread (\d+) goroutine (\d+)$`)
	threadOf := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	for _, l := range lines {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("stderr line %q", l)
		}
		if m[2] == "0" {
			t.Errorf("%q: no goroutine id", l)
		}
		if other, dup := threadOf[m[2]]; dup {
			t.Errorf("goroutine %s runs threads %s and %s", m[2], other, m[1])
		}
		threadOf[m[2]] = m[1]
	}
	if len(lines) != len(threads) {
		t.Errorf("%d lines for %d threads:\n%s", len(lines), len(threads), stderr.String())
	}
	for g := range threads {
		if !strings.Contains(stderr.String(), fmt.Sprintf("thread %d goroutine ", g)) {
			t.Errorf("no line for thread %d", g)
		}
	}
}

// The id is the one a traceback prints: a goroutine that names itself and
// then dies in a panic is found under that number in the trace.
func TestGoroutineIDIsTheTracebacksNumber(t *testing.T) {
	req, _ := request(t, [][]chaosmap.Op{{{chaosmap.OpLen, 0, 0, 0}}})
	var stderr bytes.Buffer
	stack := make(chan string, 1)
	entry := chaosmap.Entry{New: func() chaosmap.Map { return &stackOnLen{Map: maps.NewRWMutex(), stack: stack} }}
	if err := chaosmap.Run(entry, req, &stderr); err != nil {
		t.Fatal(err)
	}
	var id int
	if _, err := fmt.Sscanf(stderr.String(), "chaos-target: thread 0 goroutine %d\n", &id); err != nil {
		t.Fatalf("stderr %q: %v", stderr.String(), err)
	}
	if trace := <-stack; !strings.HasPrefix(trace, fmt.Sprintf("goroutine %d [running]:", id)) {
		t.Errorf("thread 0 said goroutine %d; its op ran on:\n%.200s", id, trace)
	}
}

// stackOnLen is a map whose first Len sends the stack of the goroutine
// calling it.
type stackOnLen struct {
	chaosmap.Map
	stack chan string
}

func (s *stackOnLen) Len() int {
	buf := make([]byte, 4096)
	select {
	case s.stack <- string(buf[:runtime.Stack(buf, false)]):
	default: // the final state's Len, after the op's
	}
	return 0
}

// readFinal reads EVENTS.final: the length word and the (key, value)s.
func readFinal(t *testing.T, events string) (uint64, [][2]uint64) {
	t.Helper()
	b, err := os.ReadFile(events + ".final")
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 16 {
		t.Fatalf("final: %d bytes", len(b))
	}
	n := binary.LittleEndian.Uint64(b[8:])
	if uint64(len(b)) != 16+16*n {
		t.Fatalf("final: %d bytes for %d entries", len(b), n)
	}
	var kvs [][2]uint64
	for at := 16; at < len(b); at += 16 {
		kvs = append(kvs, [2]uint64{binary.LittleEndian.Uint64(b[at:]), binary.LittleEndian.Uint64(b[at+8:])})
	}
	return binary.LittleEndian.Uint64(b), kvs
}

// After the run, EVENTS.final holds the map's length and, in key order,
// every key of the request the map still has, with its value: keys of the
// prefill and of keyed ops, each once; not the keys of Range, Clear or Len.
func TestFinalStateListsTheRequestsKeysFound(t *testing.T) {
	// 77 and 78 are in the map from the start, but the request names them
	// only as the (unused) key of a Range and a Len: counted, not listed.
	entry := chaosmap.Entry{New: func() chaosmap.Map {
		m := maps.NewRWMutex()
		m.Store(77, 770)
		m.Store(78, 780)
		return m
	}}
	for _, c := range []struct {
		script []chaosmap.Op
		len    uint64
		want   [][2]uint64
	}{
		{
			[]chaosmap.Op{
				{chaosmap.OpStore, 30, 300, 0},
				{chaosmap.OpDelete, 10, 0, 0},
				{chaosmap.OpLoad, 99, 0, 0}, // never stored: not found
				{chaosmap.OpStore, 30, 301, 0},
				{chaosmap.OpRange, 77, 0, 0},
				{chaosmap.OpLen, 78, 0, 0},
			},
			5, [][2]uint64{{20, 200}, {30, 301}, {1 << 63, 8}},
		},
		{
			[]chaosmap.Op{
				{chaosmap.OpLoadOrStore, 5, 50, 0},
				{chaosmap.OpSwap, 20, 201, 0},
				{chaosmap.OpCompareAndSwap, 30, 300, 301},
				{chaosmap.OpStore, 30, 302, 0},
				{chaosmap.OpClear, 79, 0, 0},
				{chaosmap.OpStore, 30, 303, 0},
				{chaosmap.OpStore, 5, 51, 0},
				{chaosmap.OpStore, 7, 70, 0},
				{chaosmap.OpCompareAndDelete, 7, 70, 0},
				{chaosmap.OpStore, 40, 400, 0},
				{chaosmap.OpLoadAndDelete, 40, 0, 0},
			},
			2, [][2]uint64{{5, 51}, {30, 303}},
		},
	} {
		req, events := request(t, [][]chaosmap.Op{c.script})
		req.Prefill = [][2]uint64{{10, 100}, {1 << 63, 8}, {20, 200}, {10, 100}}
		if err := chaosmap.Run(entry, req, io.Discard); err != nil {
			t.Fatal(err)
		}
		length, kvs := readFinal(t, events)
		if length != c.len || fmt.Sprint(kvs) != fmt.Sprint(c.want) {
			t.Errorf("%v: len %d, %v; want %d, %v", c.script, length, kvs, c.len, c.want)
		}
	}
}

// A map with no Len has the length word all ones; an empty one, no entries.
func TestFinalStateWithoutLen(t *testing.T) {
	req, events := request(t, [][]chaosmap.Op{{{chaosmap.OpStore, 1, 2, 0}}, {{chaosmap.OpStore, 3, 4, 0}}})
	req.Map = "syncmap"
	if err := chaosmap.Run(maps.Builtin()["syncmap"], req, io.Discard); err != nil {
		t.Fatal(err)
	}
	length, kvs := readFinal(t, events)
	if length != ^uint64(0) || fmt.Sprint(kvs) != "[[1 2] [3 4]]" {
		t.Errorf("len %#x, %v", length, kvs)
	}
	req.Threads = [][]chaosmap.Op{{{chaosmap.OpLoad, 1, 0, 0}}}
	if err := chaosmap.Run(maps.Builtin()["rwmutex"], req, io.Discard); err != nil {
		t.Fatal(err)
	}
	if length, kvs := readFinal(t, events); length != 0 || len(kvs) != 0 {
		t.Errorf("empty: len %d, %v", length, kvs)
	}
}

// A run that dies leaves no final state: not even an earlier run's.
func TestFinalStateOfAnEarlierRunIsRemoved(t *testing.T) {
	req, events := request(t, [][]chaosmap.Op{{{chaosmap.OpStore, 1, 2, 0}}})
	if err := os.WriteFile(events+".final", []byte("stale"), 0o600); err != nil {
		t.Fatal(err)
	}
	entry := chaosmap.Entry{New: func() chaosmap.Map { return &checkFinalOnStore{Map: maps.NewRWMutex(), t: t, path: events + ".final"} }}
	if err := chaosmap.Run(entry, req, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, kvs := readFinal(t, events); fmt.Sprint(kvs) != "[[1 2]]" {
		t.Errorf("final %v", kvs)
	}
}

// checkFinalOnStore fails its test if path exists when Store is called.
type checkFinalOnStore struct {
	chaosmap.Map
	t    *testing.T
	path string
}

func (c *checkFinalOnStore) Store(k, v uint64) {
	if _, err := os.Stat(c.path); !os.IsNotExist(err) {
		c.t.Errorf("during the run, %s: %v (want it absent)", c.path, err)
	}
	c.Map.Store(k, v)
}

// deleteBomb is a map whose Delete panics.
type deleteBomb struct{ chaosmap.Map }

func (deleteBomb) Delete(uint64) { panic("boom: Delete") }

// An op that panics is recorded as such, returned, with a stderr line, and
// its goroutine goes on with the next op.
func TestAPanickingOpIsRecordedAndTheThreadGoesOn(t *testing.T) {
	script := []chaosmap.Op{
		{chaosmap.OpStore, 1, 10, 0},
		{chaosmap.OpDelete, 1, 0, 0}, // a panic
		{chaosmap.OpLoad, 1, 0, 0},
		{chaosmap.OpDelete, 1, 0, 0},
		{chaosmap.OpDelete, 1, 0, 0},
		{chaosmap.OpStore, 2, 20, 0},
	}
	req, events := request(t, [][]chaosmap.Op{script})
	var stderr bytes.Buffer
	entry := chaosmap.Entry{New: func() chaosmap.Map { return deleteBomb{maps.Builtin()["syncmap"].New()} }}
	if err := chaosmap.Run(entry, req, &stderr); err != nil {
		t.Fatal(err)
	}
	recs, err := chaosmap.ReadEvents(events)
	if err != nil {
		t.Fatal(err)
	}
	const panicked = 1 << 62
	want := [][2]uint64{{0, 0}, {0, panicked}, {10, 1}, {0, panicked}, {0, panicked}, {0, 0}}
	var last uint64
	for i, r := range recs[0] {
		if got := [2]uint64{r.A, r.B}; got != want[i] {
			t.Errorf("op %d: (a, b) = %#x, want %#x", i, got, want[i])
		}
		if r.Invoke == 0 || r.Return < r.Invoke || r.Invoke < last {
			t.Errorf("op %d: stamps %d..%d after %d", i, r.Invoke, r.Return, last)
		}
		last = r.Return
	}
	for _, i := range []int{1, 3, 4} {
		line := fmt.Sprintf("chaos-target: panic: thread 0 op %d: boom: Delete\n", i)
		if !strings.Contains(stderr.String(), line) {
			t.Errorf("stderr lacks %q:\n%s", line, stderr.String())
		}
	}
	if n := strings.Count(stderr.String(), "panic:"); n != 3 {
		t.Errorf("%d panic lines:\n%s", n, stderr.String())
	}
}

// Len on a map without one (sync.Map) is answered as unsupported, not
// failed: no panic, no stderr line.
func TestLenWithoutALenIsUnsupported(t *testing.T) {
	req, events := request(t, [][]chaosmap.Op{{{chaosmap.OpLen, 0, 0, 0}}})
	var stderr bytes.Buffer
	if err := chaosmap.Run(maps.Builtin()["syncmap"], req, &stderr); err != nil {
		t.Fatal(err)
	}
	recs, err := chaosmap.ReadEvents(events)
	if err != nil {
		t.Fatal(err)
	}
	if got := recs[0][0].B; got != 1<<61 {
		t.Errorf("b = %#x, want bit 61 (unsupported)", got)
	}
	if strings.Contains(stderr.String(), "panic") {
		t.Errorf("stderr: %s", stderr.String())
	}
}
