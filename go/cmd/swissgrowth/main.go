//go:build go1.24

// Command swissgrowth reads the shape of the Go runtime's own map as
// distinct keys go in, for chaos's swissmap model to be compared with: a
// map[uint64]uint64 gets the keys 1..n in order, and after each insert the
// map's header, directory and tables are read through unsafe pointers. It
// prints one line per shape change:
//
//	COUNT promoted          the small map became a table
//	COUNT grew CAPACITY     a table doubled to CAPACITY slots
//	COUNT split             a full table split in two
//	COUNT split doubled     ... and the directory doubled
//
// then "end TABLES GLOBALDEPTH". It reads the layout of
// internal/runtime/maps (Go 1.24 to 1.26 share it) and stops with exit
// code 3 and one line when what it reads is not consistent with the map
// (another layout), rather than print figures it cannot vouch for.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"unsafe"
)

// header mirrors internal/runtime/maps.Map.
type header struct {
	used              uint64
	seed              uintptr
	dirPtr            unsafe.Pointer
	dirLen            int
	globalDepth       uint8
	globalShift       uint8
	writing           uint8
	tombstonePossible bool
	clearSeq          uint64
}

// table mirrors internal/runtime/maps.table.
type table struct {
	used       uint16
	capacity   uint16
	growthLeft uint16
	localDepth uint8
	index      int
	groups     struct {
		data       unsafe.Pointer
		lengthMask uint64
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "swissgrowth: %s (%s): "+format+"\n", append([]any{runtime.Version(), runtime.GOARCH}, args...)...)
	os.Exit(3)
}

func main() {
	n := flag.Uint64("n", 200000, "keys to insert")
	flag.Parse()
	m := make(map[uint64]uint64)
	h := *(**header)(unsafe.Pointer(&m))
	small := true
	caps := map[*table]uint16{}
	var depth uint8
	for k := uint64(1); k <= *n; k++ {
		m[k] = k
		if h.used != uint64(len(m)) {
			fail("the header's used is %d after %d inserts: not the layout this program reads", h.used, len(m))
		}
		if h.dirLen == 0 {
			continue
		}
		if small {
			small = false
			fmt.Printf("%d promoted\n", k)
		}
		if h.dirLen != 1<<h.globalDepth {
			fail("dirLen %d with globalDepth %d: not the layout this program reads", h.dirLen, h.globalDepth)
		}
		dir := unsafe.Slice((**table)(h.dirPtr), h.dirLen)
		now := map[*table]uint16{}
		var used uint64
		for _, t := range dir {
			if _, seen := now[t]; seen {
				continue
			}
			if t.capacity < 8 || t.capacity > 1024 || t.capacity&(t.capacity-1) != 0 {
				fail("a table of capacity %d: not the layout this program reads", t.capacity)
			}
			now[t] = t.capacity
			used += uint64(t.used)
		}
		if used != uint64(len(m)) {
			fail("the tables hold %d entries, the map %d: not the layout this program reads", used, len(m))
		}
		switch {
		case len(caps) == 0:
			// The table the promotion made.
		case len(now) == len(caps)+1:
			if h.globalDepth > depth {
				fmt.Printf("%d split doubled\n", k)
			} else {
				fmt.Printf("%d split\n", k)
			}
		case len(now) == len(caps):
			for t, c := range now {
				if _, old := caps[t]; !old {
					fmt.Printf("%d grew %d\n", k, c)
				}
			}
		default:
			fail("%d tables became %d in one insert", len(caps), len(now))
		}
		caps, depth = now, h.globalDepth
	}
	fmt.Printf("end %d %d\n", len(caps), depth)
}
