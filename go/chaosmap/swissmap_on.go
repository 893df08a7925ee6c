//go:build goexperiment.swissmap

package chaosmap

// swissmapTag is whether the goexperiment.swissmap build tag was set: Go
// 1.24 and 1.25 set it unless built with GOEXPERIMENT=noswissmap. Go 1.26
// removed the experiment (and the classic map), so it is never set there.
const swissmapTag = true
