// Package chaosmap serves a Go map to chaos, which runs seeded workloads on
// it from many goroutines and checks what it returned.
//
// A Go author wraps their map in the Map interface (the method set of
// sync.Map over uint64 keys and values), registers a constructor under a
// name, and calls Serve from main:
//
//	func main() {
//		chaosmap.Serve(chaosmap.Registry{
//			"mymap": {New: func() chaosmap.Map { return newMyMap() }},
//		})
//	}
//
// chaos runs the binary as a target process (PROTOCOL.md in this module
// says how): `TARGET list` names the maps it serves, and `TARGET serve`
// reads one workload on stdin, runs it, and records every operation where
// a fatal error cannot erase it.
package chaosmap

// Map is what chaos drives: sync.Map's method set over uint64.
type Map interface {
	Load(key uint64) (value uint64, ok bool)
	Store(key, value uint64)
	LoadOrStore(key, value uint64) (actual uint64, loaded bool)
	LoadAndDelete(key uint64) (value uint64, loaded bool)
	Delete(key uint64)
	Swap(key, value uint64) (previous uint64, loaded bool)
	CompareAndSwap(key, old, new uint64) (swapped bool)
	CompareAndDelete(key, old uint64) (deleted bool)
	Range(f func(key, value uint64) bool)
	Clear()
}

// Lener is a Map that also knows its length.
type Lener interface {
	Len() int
}

// Semantics is what a map promises about its whole-map operations, which
// the checker holds it to (the same words as chaos's Rust backends).
type Semantics struct {
	// Range: "snapshot" (every value one instant's) or "weak" (each key
	// seen at some instant of the call, as sync.Map.Range documents).
	Range string
	// Clear: "atomic" (one instant for every key), "per-key" (each key
	// at its own instant) or "best-effort".
	Clear string
	// Len: "exact" or "approximate" (checked at quiescence only).
	Len string
}

// Entry is one map a target serves.
type Entry struct {
	// New builds an empty map.
	New func() Map
	// Semantics it declares; the zero value is Go's own map under a lock:
	// snapshot range, atomic clear, exact len.
	Semantics Semantics
	// About is one line for `chaos backends`.
	About string
	// Expect is what chaos should find on it: "clean" (the default),
	// "throw" or "finding" (a planted bug).
	Expect string
}

// Registry names the maps a target serves.
type Registry map[string]Entry

// semantics fills in the defaults.
func (e Entry) semantics() Semantics {
	s := e.Semantics
	if s.Range == "" {
		s.Range = "snapshot"
	}
	if s.Clear == "" {
		s.Clear = "atomic"
	}
	if s.Len == "" {
		s.Len = "exact"
	}
	return s
}
