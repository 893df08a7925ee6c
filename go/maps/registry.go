package maps

import "chaos/go/chaosmap"

// Builtin is the registry of the built-in target.
func Builtin() chaosmap.Registry {
	return chaosmap.Registry{
		"map": {
			New:    NewNative,
			About:  "the toolchain's map[uint64]uint64 with no lock: the runtime throws under concurrent writes",
			Expect: "throw",
		},
		"rwmutex": {New: NewRWMutex, About: "map[uint64]uint64 under a sync.RWMutex: clean"},
		"mutex":   {New: NewMutex, About: "map[uint64]uint64 under a sync.Mutex: clean"},
		"syncmap": {
			New:       NewSyncMap,
			About:     "sync.Map: clean; Range weakly consistent, no Len",
			Semantics: chaosmap.Semantics{Range: "weak", Clear: SyncMapClear},
		},
	}
}
