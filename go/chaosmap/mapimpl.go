package chaosmap

import (
	"strconv"
	"strings"
)

// The runtime map implementations `list` names (PROTOCOL.md, "Commands").
const (
	mapSwiss   = "swiss"
	mapClassic = "classic"
)

// mapImpl says which map implementation a binary of the Go version
// (runtime.Version()) was built with, given whether the
// goexperiment.swissmap build tag was set: before Go 1.24 the classic map;
// in 1.24 and 1.25 the Swiss table when the tag is set, the classic map
// when not (GOEXPERIMENT=noswissmap); from 1.26 on the Swiss table, the
// only one left (the tag is gone, so it is never set there). A development
// version is judged by the release it names ("devel go1.27-abcdef ...");
// one that names none is taken to be the newest, and so Swiss.
func mapImpl(version string, swissTag bool) string {
	major, minor, ok := goVersion(version)
	switch {
	case !ok:
		return mapSwiss
	case major == 1 && minor < 24:
		return mapClassic
	case major == 1 && minor < 26 && !swissTag:
		return mapClassic
	default:
		return mapSwiss
	}
}

// goVersion parses the release out of a runtime.Version() string: "go1.25.3",
// "go1.24rc1", "go1.24.0 X:noswissmap" (an experiment suffix), or a
// development build's "devel go1.27-abcdef Tue Jan 6 ...". ok is false
// when there is none ("devel +abcdef ...", or anything else).
func goVersion(version string) (major, minor int, ok bool) {
	if rest, isDevel := strings.CutPrefix(version, "devel "); isDevel {
		version = rest
	}
	v, ok := strings.CutPrefix(version, "go")
	if !ok {
		return 0, 0, false
	}
	majorText, rest, _ := strings.Cut(v, ".")
	major, err := strconv.Atoi(majorText)
	if err != nil {
		return 0, 0, false
	}
	end := 0
	for end < len(rest) && '0' <= rest[end] && rest[end] <= '9' {
		end++
	}
	if end == 0 {
		// "go2" or "go2rc1" would have no minor; Go 1 always has one.
		if major > 1 {
			return major, 0, true
		}
		return 0, 0, false
	}
	minor, err = strconv.Atoi(rest[:end])
	if err != nil {
		return 0, 0, false
	}
	return major, minor, true
}
