package maps

import (
	"math/rand"
	"sort"
	"testing"
)

// One goroutine: every built-in map answers as a plain map would, op by
// op, over a seeded random sequence (fixed seed: the same every run).
func TestBuiltinMapsAreSequentiallyAMap(t *testing.T) {
	for name, entry := range Builtin() {
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
				var seen [][2]uint64
				m.Range(func(k, v uint64) bool { seen = append(seen, [2]uint64{k, v}); return true })
				sort.Slice(seen, func(a, b int) bool { return seen[a][0] < seen[b][0] })
				if len(seen) != len(model) {
					t.Fatalf("%s op %d: Range saw %d entries, want %d", name, i, len(seen), len(model))
				}
				for _, kv := range seen {
					if w, ok := model[kv[0]]; !ok || w != kv[1] {
						t.Fatalf("%s op %d: Range saw %v", name, i, kv)
					}
				}
			case 9:
				if rng.Intn(20) == 0 {
					m.Clear()
					model = map[uint64]uint64{}
				}
			}
		}
	}
}
