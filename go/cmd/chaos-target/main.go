// Command chaos-target serves the Go maps of the toolchain it was built
// with to chaos (see PROTOCOL.md).
package main

import (
	"chaos/go/chaosmap"
	"chaos/go/maps"
)

func main() {
	chaosmap.Serve(maps.Builtin())
}
