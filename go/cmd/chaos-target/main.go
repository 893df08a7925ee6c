// Command chaos-target serves the Go maps of the toolchain it was built
// with to chaos (see PROTOCOL.md), and the planted bugs of package bugs.
package main

import (
	"chaos/go/bugs"
	"chaos/go/chaosmap"
	"chaos/go/maps"
)

func main() {
	chaosmap.Serve(registry())
}

// registry is what this target serves: maps.Builtin and bugs.Entries.
func registry() chaosmap.Registry {
	r := maps.Builtin()
	for name, e := range bugs.Entries() {
		if _, taken := r[name]; taken {
			panic("chaos-target: two maps named " + name)
		}
		r[name] = e
	}
	return r
}
