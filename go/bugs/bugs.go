// Package bugs holds planted bugs: Go maps that are each wrong in one
// method, in a way a reviewer reading the code could miss, for chaos to
// find on the real Go runtime. Four are the Go twins of chaos's Rust
// mutants (src/maps/mutants: mutant-write-under-rlock is
// bug-write-under-rlock here, and so on); bug-shard-clear has none.
// Entries registers them with what chaos should find on each.
//
// Every other method of each is correct, and each keeps Go's usual shape:
// the lock beside the map it guards, by convention only, which is what
// lets one method forget it.
package bugs

import (
	"sync"

	"chaos/go/chaosmap"
)

// Entries is the planted bugs, for a target's registry.
func Entries() chaosmap.Registry {
	return chaosmap.Registry{
		"bug-write-under-rlock": {
			New:    NewWriteUnderRLock,
			About:  "planted bug: map under a sync.RWMutex whose Store and Delete take RLock; has Len",
			Expect: "throw",
		},
		"bug-unlocked-read": {
			New:    NewUnlockedRead,
			About:  "planted bug: map under a sync.RWMutex whose Load first reads with no lock; has Len",
			Expect: "throw",
		},
		"bug-check-then-act": {
			New:    NewCheckThenAct,
			About:  "planted bug: map under a sync.RWMutex whose LoadOrStore checks under RLock, stores under Lock without re-checking; has Len",
			Expect: "finding",
		},
		"bug-split-swap": {
			New:    NewSplitSwap,
			About:  "planted bug: map under a sync.RWMutex whose Swap is a locked Load then a separately locked Store; has Len",
			Expect: "finding",
		},
		"bug-shard-clear": {
			New:       NewShardClear,
			About:     "planted bug: 4 shards (key % 4), each a map under a sync.Mutex, whose Clear clears one shard at a time yet is declared atomic; has Len",
			Semantics: chaosmap.Semantics{Range: "snapshot", Clear: "atomic", Len: "exact"},
			Expect:    "finding",
		},
	}
}

// guarded is a map under a sync.RWMutex, every method correct: what each
// lock-based bug below embeds, replacing the method (or two) it gets wrong.
type guarded struct {
	mu sync.RWMutex
	m  map[uint64]uint64
}

func (g *guarded) Load(k uint64) (uint64, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	v, ok := g.m[k]
	return v, ok
}

func (g *guarded) Store(k, v uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.m[k] = v
}

func (g *guarded) Delete(k uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.m, k)
}

func (g *guarded) LoadOrStore(k, v uint64) (uint64, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if old, ok := g.m[k]; ok {
		return old, true
	}
	g.m[k] = v
	return v, false
}

func (g *guarded) LoadAndDelete(k uint64) (uint64, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	v, ok := g.m[k]
	delete(g.m, k)
	return v, ok
}

func (g *guarded) Swap(k, v uint64) (uint64, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	old, ok := g.m[k]
	g.m[k] = v
	return old, ok
}

func (g *guarded) CompareAndSwap(k, old, new uint64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if v, ok := g.m[k]; ok && v == old {
		g.m[k] = new
		return true
	}
	return false
}

func (g *guarded) CompareAndDelete(k, old uint64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if v, ok := g.m[k]; ok && v == old {
		delete(g.m, k)
		return true
	}
	return false
}

// Range holds the read lock throughout: a snapshot. f must not call back
// into the map.
func (g *guarded) Range(f func(k, v uint64) bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	for k, v := range g.m {
		if !f(k, v) {
			return
		}
	}
}

func (g *guarded) Clear() {
	g.mu.Lock()
	defer g.mu.Unlock()
	clear(g.m)
}

func (g *guarded) Len() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.m)
}

// WriteUnderRLock is a map whose Store and Delete take the read lock: they
// were copied from Load, and only the map access was changed.
//
//	func (c *WriteUnderRLock) Store(k, v uint64) {
//		c.mu.RLock() // should be Lock
//		defer c.mu.RUnlock()
//		c.m[k] = v
//	}
//
// A reviewer sees every access "under the lock" and misses that RLock is
// shared: any number of Stores hold it at once, so two of them write the
// map together (and a Load with them). Single-threaded tests pass. Chaos
// runs Stores on many goroutines, and the runtime's own check ends the
// process: fatal error: concurrent map writes.
type WriteUnderRLock struct{ guarded }

// NewWriteUnderRLock returns an empty WriteUnderRLock.
func NewWriteUnderRLock() chaosmap.Map { return &WriteUnderRLock{guarded{m: make(map[uint64]uint64)}} }

func (c *WriteUnderRLock) Store(k, v uint64) {
	c.mu.RLock() // the bug: a write under the shared lock
	defer c.mu.RUnlock()
	c.m[k] = v
}

func (c *WriteUnderRLock) Delete(k uint64) {
	c.mu.RLock() // the bug: a write under the shared lock
	defer c.mu.RUnlock()
	delete(c.m, k)
}

// UnlockedRead is a map whose Load tries an "optimistic fast path" first: a
// read with no lock, falling back to the locked read only when the key is
// absent.
//
//	func (c *UnlockedRead) Load(k uint64) (uint64, bool) {
//		if v, ok := c.m[k]; ok { // no lock: races with Store
//			return v, true
//		}
//		c.mu.RLock()
//		defer c.mu.RUnlock()
//		...
//
// A reviewer who believes reads of a map are safe, or that the locked
// fallback makes it so, misses that a read is only safe while nobody
// writes, and a writer holding the lock does not stop a reader that never
// asks for it. Chaos races Loads with Stores, and the runtime ends the
// process: fatal error: concurrent map read and map write.
type UnlockedRead struct{ guarded }

// NewUnlockedRead returns an empty UnlockedRead.
func NewUnlockedRead() chaosmap.Map { return &UnlockedRead{guarded{m: make(map[uint64]uint64)}} }

func (c *UnlockedRead) Load(k uint64) (uint64, bool) {
	if v, ok := c.m[k]; ok { // the bug: a read with no lock held
		return v, true
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[k]
	return v, ok
}

// CheckThenAct is a map whose LoadOrStore keeps its common case, the key
// already there, on the read lock: it looks under RLock, releases it, and
// if the key was absent stores under Lock, without looking again.
//
//	c.mu.RLock()
//	old, ok := c.m[k]
//	c.mu.RUnlock()
//	if ok {
//		return old, true
//	}
//	c.mu.Lock() // another goroutine may have stored k meanwhile
//	c.m[k] = v  // missing: re-check under the write lock
//	c.mu.Unlock()
//	return v, false
//
// Every access is locked, so it never throws, and a reviewer sees a careful
// read-mostly optimisation. What they miss is the gap between the two
// locks: two callers both find the key absent, both store, and both report
// that they stored (loaded == false), one "created" value silently replaced
// by the other. Chaos finds a history no atomic LoadOrStore can give: a
// linearizability violation.
type CheckThenAct struct{ guarded }

// NewCheckThenAct returns an empty CheckThenAct.
func NewCheckThenAct() chaosmap.Map { return &CheckThenAct{guarded{m: make(map[uint64]uint64)}} }

func (c *CheckThenAct) LoadOrStore(k, v uint64) (uint64, bool) {
	c.mu.RLock()
	old, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return old, true
	}
	// The bug: what was checked above may be stale by now, and is not
	// checked again under the write lock.
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[k] = v
	return v, false
}

// SplitSwap is a map whose Swap is composed of two methods that are each
// correct: a locked Load, then a separately locked Store.
//
//	func (c *SplitSwap) Swap(k, v uint64) (uint64, bool) {
//		old, ok := c.Load(k) // RLock ... RUnlock
//		c.Store(k, v)        // Lock ... Unlock
//		return old, ok
//	}
//
// A reviewer sees two locked calls and no map access outside a lock, and
// misses that the lock is released between them. Two concurrent Swaps can
// both return the same previous value, so one stored value is never seen
// by anybody as "previous": a lost update for a counter or a token
// hand-off built on it. Chaos finds a linearizability violation (never a
// throw).
type SplitSwap struct{ guarded }

// NewSplitSwap returns an empty SplitSwap.
func NewSplitSwap() chaosmap.Map { return &SplitSwap{guarded{m: make(map[uint64]uint64)}} }

func (c *SplitSwap) Swap(k, v uint64) (uint64, bool) {
	old, ok := c.Load(k)
	// The bug: the lock is released here, between the load and the store.
	c.Store(k, v)
	return old, ok
}

// shards is how many maps a ShardClear spreads its keys over.
const shards = 4

// shard is one of a ShardClear's maps, under its own lock.
type shard struct {
	mu sync.Mutex
	m  map[uint64]uint64
}

// ShardClear is a map sharded by key % 4, each shard a map under its own
// sync.Mutex, whose Clear locks and clears one shard at a time, while the
// map declares an atomic Clear. Everything else is correct: each keyed
// method locks its key's shard, and Range and Len take every shard's lock,
// in order, before they look, so they see one instant (a snapshot).
//
//	func (c *ShardClear) Clear() {
//		for i := range c.shards {
//			s := &c.shards[i]
//			s.mu.Lock()
//			clear(s.m)
//			s.mu.Unlock() // the next shard is not cleared yet
//		}
//	}
//
// Every shard is cleared under its lock, so it never throws, and a
// reviewer sees a Clear that clears everything. What they miss is that it
// does not do so at one instant: a goroutine that stores k0 (shard 0) and
// then k1 (shard 1) while another clears can end with k0 kept and k1 gone,
// which no atomic Clear allows: one instant before, between or after the
// two Stores leaves both keys, only k1, or neither. Chaos holds the map to the atomic Clear it declares and finds
// the violation; declared "per-key", the same map would be correct.
type ShardClear struct {
	shards [shards]shard
}

// NewShardClear returns an empty ShardClear.
func NewShardClear() chaosmap.Map {
	c := &ShardClear{}
	for i := range c.shards {
		c.shards[i].m = make(map[uint64]uint64)
	}
	return c
}

// shardOf is the shard that holds k.
func (c *ShardClear) shardOf(k uint64) *shard { return &c.shards[k%shards] }

func (c *ShardClear) Load(k uint64) (uint64, bool) {
	s := c.shardOf(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	return v, ok
}

func (c *ShardClear) Store(k, v uint64) {
	s := c.shardOf(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = v
}

func (c *ShardClear) Delete(k uint64) {
	s := c.shardOf(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, k)
}

func (c *ShardClear) LoadOrStore(k, v uint64) (uint64, bool) {
	s := c.shardOf(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.m[k]; ok {
		return old, true
	}
	s.m[k] = v
	return v, false
}

func (c *ShardClear) LoadAndDelete(k uint64) (uint64, bool) {
	s := c.shardOf(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	delete(s.m, k)
	return v, ok
}

func (c *ShardClear) Swap(k, v uint64) (uint64, bool) {
	s := c.shardOf(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.m[k]
	s.m[k] = v
	return old, ok
}

func (c *ShardClear) CompareAndSwap(k, old, new uint64) bool {
	s := c.shardOf(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.m[k]; ok && v == old {
		s.m[k] = new
		return true
	}
	return false
}

func (c *ShardClear) CompareAndDelete(k, old uint64) bool {
	s := c.shardOf(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.m[k]; ok && v == old {
		delete(s.m, k)
		return true
	}
	return false
}

// lockAll takes every shard's lock, in shard order (the one order every
// caller takes them in, so two callers cannot deadlock); unlockAll
// releases them.
func (c *ShardClear) lockAll() {
	for i := range c.shards {
		c.shards[i].mu.Lock()
	}
}

func (c *ShardClear) unlockAll() {
	for i := range c.shards {
		c.shards[i].mu.Unlock()
	}
}

// Range holds every shard's lock throughout: a snapshot. f must not call
// back into the map.
func (c *ShardClear) Range(f func(k, v uint64) bool) {
	c.lockAll()
	defer c.unlockAll()
	for i := range c.shards {
		for k, v := range c.shards[i].m {
			if !f(k, v) {
				return
			}
		}
	}
}

// Clear clears the shards one at a time: each under its lock, but not all
// at one instant, as the atomic Clear the map declares would.
func (c *ShardClear) Clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		clear(s.m)
		s.mu.Unlock() // the bug: the next shard is not cleared yet
	}
}

func (c *ShardClear) Len() int {
	c.lockAll()
	defer c.unlockAll()
	n := 0
	for i := range c.shards {
		n += len(c.shards[i].m)
	}
	return n
}
