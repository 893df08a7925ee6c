//go:build go1.23

package maps

// Clear is sync.Map.Clear (Go 1.23+): atomic.
func (s *SyncMap) Clear() { s.m.Clear() }

// SyncMapClear is what SyncMap's Clear promises on this toolchain.
const SyncMapClear = "atomic"
