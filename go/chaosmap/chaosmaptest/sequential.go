// Package chaosmaptest checks a chaosmap.Map from one goroutine, before
// chaos runs it from many: a Go author's adapter that maps an operation
// wrongly fails here, in a plain go test, instead of as a finding that
// looks like a race.
package chaosmaptest

import (
	"math/rand"
	"sort"
	"testing"

	"chaos/go/chaosmap"
)

// Sequential runs 5,000 seeded random operations (every one of Map's, a
// Range with and without a limit, a rare Clear) from one goroutine on a
// map that entry builds, and fails t at the first answer a plain Go map
// would not give; a map with Len has it checked after every operation.
// name labels the failures.
func Sequential(t testing.TB, name string, entry chaosmap.Entry) {
	t.Helper()
	m := entry.New()
	model := map[uint64]uint64{}
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 5000; i++ {
		k, v := uint64(rng.Intn(12)), uint64(rng.Intn(4))
		old, had := model[k]
		switch rng.Intn(10) {
		case 0:
			got, ok := m.Load(k)
			if got != old || ok != had {
				t.Fatalf("%s op %d: Load(%d) = %d, %t; want %d, %t", name, i, k, got, ok, old, had)
			}
		case 1:
			m.Store(k, v)
			model[k] = v
		case 2:
			m.Delete(k)
			delete(model, k)
		case 3:
			got, loaded := m.LoadOrStore(k, v)
			want := v
			if had {
				want = old
			} else {
				model[k] = v
			}
			if got != want || loaded != had {
				t.Fatalf("%s op %d: LoadOrStore(%d, %d) = %d, %t", name, i, k, v, got, loaded)
			}
		case 4:
			got, loaded := m.LoadAndDelete(k)
			delete(model, k)
			if got != old || loaded != had {
				t.Fatalf("%s op %d: LoadAndDelete(%d) = %d, %t", name, i, k, got, loaded)
			}
		case 5:
			got, loaded := m.Swap(k, v)
			model[k] = v
			if got != old || loaded != had {
				t.Fatalf("%s op %d: Swap(%d, %d) = %d, %t", name, i, k, v, got, loaded)
			}
		case 6:
			n := uint64(rng.Intn(4))
			want := had && old == v
			if want {
				model[k] = n
			}
			if got := m.CompareAndSwap(k, v, n); got != want {
				t.Fatalf("%s op %d: CompareAndSwap(%d, %d, %d) = %t", name, i, k, v, n, got)
			}
		case 7:
			want := had && old == v
			if want {
				delete(model, k)
			}
			if got := m.CompareAndDelete(k, v); got != want {
				t.Fatalf("%s op %d: CompareAndDelete(%d, %d) = %t", name, i, k, v, got)
			}
		case 8:
			limit := rng.Intn(4) // 0: all
			var seen [][2]uint64
			m.Range(func(k, v uint64) bool {
				seen = append(seen, [2]uint64{k, v})
				return limit == 0 || len(seen) < limit
			})
			want := len(model)
			if limit != 0 && limit < want {
				want = limit
			}
			if len(seen) != want {
				t.Fatalf("%s op %d: Range (limit %d) saw %d entries, want %d", name, i, limit, len(seen), want)
			}
			sort.Slice(seen, func(a, b int) bool { return seen[a][0] < seen[b][0] })
			for j, kv := range seen {
				if w, ok := model[kv[0]]; !ok || w != kv[1] || j > 0 && kv[0] == seen[j-1][0] {
					t.Fatalf("%s op %d: Range saw %v", name, i, seen)
				}
			}
		case 9:
			if rng.Intn(20) == 0 {
				m.Clear()
				model = map[uint64]uint64{}
			}
		}
		if l, ok := m.(chaosmap.Lener); ok && l.Len() != len(model) {
			got := l.Len()
			t.Fatalf("%s op %d: Len() = %d, want %d", name, i, got, len(model))
		}
	}
}
