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

// RWMutex is Native under a sync.RWMutex: reads share the lock.
type RWMutex struct {
	mu sync.RWMutex
	n  Native
}

// NewRWMutex returns an empty RWMutex.
func NewRWMutex() chaosmap.Map { return &RWMutex{n: Native{m: make(map[uint64]uint64)}} }

func (r *RWMutex) Load(k uint64) (uint64, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.n.Load(k)
}
func (r *RWMutex) Store(k, v uint64) { r.mu.Lock(); defer r.mu.Unlock(); r.n.Store(k, v) }
func (r *RWMutex) Delete(k uint64)   { r.mu.Lock(); defer r.mu.Unlock(); r.n.Delete(k) }
func (r *RWMutex) LoadOrStore(k, v uint64) (uint64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n.LoadOrStore(k, v)
}
func (r *RWMutex) LoadAndDelete(k uint64) (uint64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n.LoadAndDelete(k)
}
func (r *RWMutex) Swap(k, v uint64) (uint64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n.Swap(k, v)
}
func (r *RWMutex) CompareAndSwap(k, old, new uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n.CompareAndSwap(k, old, new)
}
func (r *RWMutex) CompareAndDelete(k, old uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n.CompareAndDelete(k, old)
}

// Range holds the read lock throughout: a snapshot. f must not call back
// into the map.
func (r *RWMutex) Range(f func(k, v uint64) bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	r.n.Range(f)
}
func (r *RWMutex) Clear()   { r.mu.Lock(); defer r.mu.Unlock(); r.n.Clear() }
func (r *RWMutex) Len() int { r.mu.RLock(); defer r.mu.RUnlock(); return r.n.Len() }

// Mutex is Native under a sync.Mutex.
type Mutex struct {
	mu sync.Mutex
	n  Native
}

// NewMutex returns an empty Mutex.
func NewMutex() chaosmap.Map { return &Mutex{n: Native{m: make(map[uint64]uint64)}} }

func (x *Mutex) Load(k uint64) (uint64, bool) { x.mu.Lock(); defer x.mu.Unlock(); return x.n.Load(k) }
func (x *Mutex) Store(k, v uint64)            { x.mu.Lock(); defer x.mu.Unlock(); x.n.Store(k, v) }
func (x *Mutex) Delete(k uint64)              { x.mu.Lock(); defer x.mu.Unlock(); x.n.Delete(k) }
func (x *Mutex) LoadOrStore(k, v uint64) (uint64, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.n.LoadOrStore(k, v)
}
func (x *Mutex) LoadAndDelete(k uint64) (uint64, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.n.LoadAndDelete(k)
}
func (x *Mutex) Swap(k, v uint64) (uint64, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.n.Swap(k, v)
}
func (x *Mutex) CompareAndSwap(k, old, new uint64) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.n.CompareAndSwap(k, old, new)
}
func (x *Mutex) CompareAndDelete(k, old uint64) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.n.CompareAndDelete(k, old)
}
func (x *Mutex) Range(f func(k, v uint64) bool) { x.mu.Lock(); defer x.mu.Unlock(); x.n.Range(f) }
func (x *Mutex) Clear()                         { x.mu.Lock(); defer x.mu.Unlock(); x.n.Clear() }
func (x *Mutex) Len() int                       { x.mu.Lock(); defer x.mu.Unlock(); return x.n.Len() }

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
