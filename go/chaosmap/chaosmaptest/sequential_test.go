package chaosmaptest_test

import (
	"fmt"
	"strings"
	"testing"

	"chaos/go/chaosmap"
	"chaos/go/chaosmap/chaosmaptest"
	"chaos/go/maps"
)

// swapless answers Swap as if the key had never been there: the adapter
// mistake Sequential exists to catch.
type swapless struct{ chaosmap.Map }

func (s swapless) Swap(k, v uint64) (uint64, bool) {
	s.Map.Store(k, v)
	return 0, false
}

// recorder is a testing.TB that records a Fatalf instead of stopping.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	panic(r)
}

func TestAMapPassesAndAWrongAdapterFails(t *testing.T) {
	chaosmaptest.Sequential(t, "rwmutex", maps.Builtin()["rwmutex"])
	r := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != nil && p != r {
				panic(p)
			}
		}()
		chaosmaptest.Sequential(r, "swapless", chaosmap.Entry{New: func() chaosmap.Map {
			return swapless{maps.NewRWMutex()}
		}})
	}()
	if !strings.Contains(r.failed, "swapless op ") || !strings.Contains(r.failed, "Swap(") {
		t.Errorf("a Swap that forgets the old value passed: %q", r.failed)
	}
}
