package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"chaos/go/chaosmap"
)

// target is the chaos-target binary built for these tests, in TestMain.
var target string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "chaos-target-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	target = filepath.Join(dir, "chaos-target")
	if out, err := exec.Command("go", "build", "-o", target, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// writes is 8 scripts of 10,000 ops, mostly writes: Stores over 100,000
// keys (the map keeps growing), every loadEvery-th op a Load of a key some
// goroutine stored (0: no Loads).
func writes(loadEvery int) [][]chaosmap.Op {
	var threads [][]chaosmap.Op
	for g := 0; g < 8; g++ {
		var s []chaosmap.Op
		for i := 0; i < 10000; i++ {
			key := uint64((g*10007 + i*31) % 100000)
			if loadEvery != 0 && i%loadEvery == 0 {
				s = append(s, chaosmap.Op{chaosmap.OpLoad, uint64(((g+1)*10007 + i*31) % 100000), 0, 0})
				continue
			}
			s = append(s, chaosmap.Op{chaosmap.OpStore, key, uint64(i), 0})
		}
		threads = append(threads, s)
	}
	return threads
}

// crash serves threads on the named map up to tries times, until a run
// exits with an error; it fails the test unless that run is the runtime's
// fatal error (exit 2, fatal on stderr), and returns its stderr and events
// file.
func crash(t *testing.T, name string, threads [][]chaosmap.Op, fatal string, tries int) (string, string) {
	t.Helper()
	events := filepath.Join(t.TempDir(), "events")
	body, _ := json.Marshal(chaosmap.Request{Protocol: 1, Map: name, Gomaxprocs: 8, Threads: threads, Events: events})
	for try := 0; try < tries; try++ {
		cmd := exec.Command(target, "serve")
		cmd.Stdin = strings.NewReader(string(body))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		if err == nil {
			continue
		}
		if code := cmd.ProcessState.ExitCode(); code != 2 {
			t.Fatalf("%s: exit %d, want the runtime's 2: %.300s", name, code, stderr.String())
		}
		if !strings.Contains(stderr.String(), fatal) {
			t.Fatalf("%s: stderr lacks %q: %.300s", name, fatal, stderr.String())
		}
		t.Logf("%s: try %d threw", name, try)
		return stderr.String(), events
	}
	t.Fatalf("%s: %d runs never threw %q", name, tries, fatal)
	return "", ""
}

// The unlocked map, raced by 8 goroutines writing, dies with the runtime's
// own fatal error; the events file still holds every op recorded before,
// and some op that was in flight (invoked, not returned). Real Go threw in
// every such run measured (G8, 10,000 ops, 30/70 reads/writes); five tries
// make a miss on a sound runtime vanishingly unlikely. A run can die on the
// very first ops, none returned (about one in a hundred): that one is run
// again.
func TestAFatalErrorLeavesTheOpsInFlightRecorded(t *testing.T) {
	var stderr, events string
	for attempt, done := 0, 0; done == 0; attempt++ {
		if attempt == 5 {
			t.Fatal("5 crashes before any op returned")
		}
		stderr, events = crash(t, "map", writes(0), "fatal error: concurrent map", 5)
		recs, err := chaosmap.ReadEvents(events)
		if err != nil {
			t.Fatal(err)
		}
		inFlight := 0
		for _, rs := range recs {
			for _, r := range rs {
				switch {
				case r.Invoke != 0 && r.Return != 0:
					done++
				case r.Invoke != 0:
					inFlight++
				}
			}
		}
		if inFlight == 0 {
			t.Fatalf("%d ops returned, none in flight: the crash should leave some", done)
		}
	}
	// The run never finished, so it left no final state.
	if _, err := os.Stat(events + ".final"); !os.IsNotExist(err) {
		t.Errorf("a crashed run's final state: %v", err)
	}
	// Every thread named its goroutine before the release, so the
	// goroutine that threw, first in the traceback, is read back to its
	// thread.
	threadOf := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^chaos-target: thread (\d+) goroutine (\d+)$`).FindAllStringSubmatch(stderr, -1) {
		threadOf[m[2]] = m[1]
	}
	if len(threadOf) != 8 {
		t.Errorf("%d goroutine lines for 8 threads: %.500s", len(threadOf), stderr)
	}
	threw := regexp.MustCompile(`(?m)^goroutine (\d+) `).FindStringSubmatch(stderr)
	if threw == nil || threadOf[threw[1]] == "" {
		t.Errorf("the goroutine that threw is no thread's: %.800s", stderr)
	}
}

// The two planted bugs that race the map itself die the same way, each
// with its own message: Stores under a shared lock write together; Loads
// with no lock read while a Store writes. On two CPUs each threw on the
// first run in every one of 30 measured; on one, within a few: ten tries.
func TestPlantedBugsThrow(t *testing.T) {
	crash(t, "bug-write-under-rlock", writes(0), "fatal error: concurrent map writes", 10)
	crash(t, "bug-unlocked-read", writes(3), "fatal error: concurrent map read and map write", 10)
}

// `list` serves the built-in maps and the planted bugs.
func TestListServesBuiltinsAndBugs(t *testing.T) {
	out, err := exec.Command(target, "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\nmap range=", "\nrwmutex range=", "\nsyncmap range=",
		"\nbug-write-under-rlock range=snapshot clear=atomic len=exact has_len=true expect=throw\t",
		"\nbug-unlocked-read range=snapshot clear=atomic len=exact has_len=true expect=throw\t",
		"\nbug-check-then-act range=snapshot clear=atomic len=exact has_len=true expect=finding\t",
		"\nbug-split-swap range=snapshot clear=atomic len=exact has_len=true expect=finding\t",
		"\nbug-shard-clear range=snapshot clear=atomic len=exact has_len=true expect=finding\t",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
}
