//go:build !go1.23

package maps

// Clear deletes what a Range finds: before Go 1.23 sync.Map has no Clear,
// and this one is a delete of each key at its own instant.
func (s *SyncMap) Clear() {
	s.m.Range(func(k, _ any) bool {
		s.m.Delete(k)
		return true
	})
}

// SyncMapClear is what SyncMap's Clear promises on this toolchain.
const SyncMapClear = "per-key"
