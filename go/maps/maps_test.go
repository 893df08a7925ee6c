package maps

import (
	"testing"

	"chaos/go/chaosmap/chaosmaptest"
)

// One goroutine: every built-in map answers as a plain map would.
func TestBuiltinMapsAreSequentiallyAMap(t *testing.T) {
	for name, entry := range Builtin() {
		chaosmaptest.Sequential(t, name, entry)
	}
}
