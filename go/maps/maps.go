// Package maps holds the Go maps the built-in target serves: the
// toolchain's own map with no lock (the runtime's concurrent-misuse checks
// throw), under a sync.RWMutex and under a sync.Mutex, and sync.Map.
package maps

import (
	"sync"

	"chaos/go/chaosmap"
)

// Native is map[uint64]uint64 with no lock: raced on purpose.
type Native struct {
	m map[uint64]uint64
}

// NewNative returns an empty Native.
func NewNative() chaosmap.Map { return &Native{m: make(map[uint64]uint64)} }

func (n *Native) Load(k uint64) (uint64, bool) { v, ok := n.m[k]; return v, ok }
func (n *Native) Store(k, v uint64)            { n.m[k] = v }
func (n *Native) Delete(k uint64)              { delete(n.m, k) }
func (n *Native) LoadOrStore(k, v uint64) (uint64, bool) {
	if old, ok := n.m[k]; ok {
		return old, true
	}
	n.m[k] = v
	return v, false
}
func (n *Native) LoadAndDelete(k uint64) (uint64, bool) {
	v, ok := n.m[k]
	delete(n.m, k)
	return v, ok
}
func (n *Native) Swap(k, v uint64) (uint64, bool) {
	old, ok := n.m[k]
	n.m[k] = v
	return old, ok
}
func (n *Native) CompareAndSwap(k, old, new uint64) bool {
	if v, ok := n.m[k]; ok && v == old {
		n.m[k] = new
		return true
	}
	return false
}
func (n *Native) CompareAndDelete(k, old uint64) bool {
	if v, ok := n.m[k]; ok && v == old {
		delete(n.m, k)
		return true
	}
	return false
}
func (n *Native) Range(f func(k, v uint64) bool) {
	for k, v := range n.m {
		if !f(k, v) {
			return
		}
	}
}
func (n *Native) Clear() {
	for k := range n.m {
		delete(n.m, k)
	}
}
func (n *Native) Len() int { return len(n.m) }

// Locked is Native under a lock: writes take it exclusively, reads with
// rlock (shared under a sync.RWMutex, the same lock under a sync.Mutex).
type Locked struct {
	lock, unlock, rlock, runlock func()
	n                            Native
}

// NewRWMutex returns an empty map under a sync.RWMutex.
func NewRWMutex() chaosmap.Map {
	var mu sync.RWMutex
	return &Locked{mu.Lock, mu.Unlock, mu.RLock, mu.RUnlock, Native{m: make(map[uint64]uint64)}}
}

// NewMutex returns an empty map under a sync.Mutex.
func NewMutex() chaosmap.Map {
	var mu sync.Mutex
	return &Locked{mu.Lock, mu.Unlock, mu.Lock, mu.Unlock, Native{m: make(map[uint64]uint64)}}
}

func (l *Locked) Load(k uint64) (uint64, bool) { l.rlock(); defer l.runlock(); return l.n.Load(k) }
func (l *Locked) Store(k, v uint64)            { l.lock(); defer l.unlock(); l.n.Store(k, v) }
func (l *Locked) Delete(k uint64)              { l.lock(); defer l.unlock(); l.n.Delete(k) }
func (l *Locked) LoadOrStore(k, v uint64) (uint64, bool) {
	l.lock()
	defer l.unlock()
	return l.n.LoadOrStore(k, v)
}
func (l *Locked) LoadAndDelete(k uint64) (uint64, bool) {
	l.lock()
	defer l.unlock()
	return l.n.LoadAndDelete(k)
}
func (l *Locked) Swap(k, v uint64) (uint64, bool) { l.lock(); defer l.unlock(); return l.n.Swap(k, v) }
func (l *Locked) CompareAndSwap(k, old, new uint64) bool {
	l.lock()
	defer l.unlock()
	return l.n.CompareAndSwap(k, old, new)
}
func (l *Locked) CompareAndDelete(k, old uint64) bool {
	l.lock()
	defer l.unlock()
	return l.n.CompareAndDelete(k, old)
}

// Range holds the read lock throughout: a snapshot. f must not call back
// into the map.
func (l *Locked) Range(f func(k, v uint64) bool) { l.rlock(); defer l.runlock(); l.n.Range(f) }
func (l *Locked) Clear()                         { l.lock(); defer l.unlock(); l.n.Clear() }
func (l *Locked) Len() int                       { l.rlock(); defer l.runlock(); return l.n.Len() }

// SyncMap is sync.Map over uint64 (values boxed as uint64).
type SyncMap struct {
	m sync.Map
}

// NewSyncMap returns an empty SyncMap.
func NewSyncMap() chaosmap.Map { return &SyncMap{} }

func unbox(v any, ok bool) (uint64, bool) {
	if !ok {
		return 0, false
	}
	return v.(uint64), true
}

func (s *SyncMap) Load(k uint64) (uint64, bool) { return unbox(s.m.Load(k)) }
func (s *SyncMap) Store(k, v uint64)            { s.m.Store(k, v) }
func (s *SyncMap) Delete(k uint64)              { s.m.Delete(k) }
func (s *SyncMap) LoadOrStore(k, v uint64) (uint64, bool) {
	a, loaded := s.m.LoadOrStore(k, v)
	return a.(uint64), loaded
}
func (s *SyncMap) LoadAndDelete(k uint64) (uint64, bool) { return unbox(s.m.LoadAndDelete(k)) }
func (s *SyncMap) Swap(k, v uint64) (uint64, bool)       { return unbox(s.m.Swap(k, v)) }
func (s *SyncMap) CompareAndSwap(k, old, new uint64) bool {
	return s.m.CompareAndSwap(k, old, new)
}
func (s *SyncMap) CompareAndDelete(k, old uint64) bool { return s.m.CompareAndDelete(k, old) }
func (s *SyncMap) Range(f func(k, v uint64) bool) {
	s.m.Range(func(k, v any) bool { return f(k.(uint64), v.(uint64)) })
}
