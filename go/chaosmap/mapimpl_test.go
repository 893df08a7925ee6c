package chaosmap

import (
	"runtime"
	"strings"
	"testing"
)

// Which map a toolchain's binaries use, from its version and the
// goexperiment.swissmap tag.
func TestMapImplFromVersion(t *testing.T) {
	for _, c := range []struct {
		version  string
		swissTag bool
		want     string
	}{
		{"go1.21.0", false, mapClassic},
		{"go1.9", false, mapClassic},
		{"go1.23.12", false, mapClassic},
		// No 1.23 has the experiment; were the tag set, the map is classic.
		{"go1.23.4", true, mapClassic},
		{"go1.24", true, mapSwiss},
		{"go1.24.0", false, mapClassic},
		{"go1.24rc1", true, mapSwiss},
		{"go1.24.6 X:noswissmap", false, mapClassic},
		{"go1.25.3", true, mapSwiss},
		{"go1.25beta1 X:noswissmap", false, mapClassic},
		// From 1.26 the tag is gone, and the map is the Swiss table.
		{"go1.26.0", false, mapSwiss},
		{"go1.26rc2", false, mapSwiss},
		{"go1.26.8", true, mapSwiss},
		{"go1.100.1", false, mapSwiss},
		{"go2", false, mapSwiss},
		// Development builds: by the release named, else the newest.
		{"devel go1.27-0a1b2c3d4e Tue Jan 6 10:00:00 2026 +0000", false, mapSwiss},
		{"devel go1.25-0a1b2c3d4e Mon Jun 2 10:00:00 2025 +0000", true, mapSwiss},
		{"devel go1.25-0a1b2c3d4e Mon Jun 2 10:00:00 2025 +0000 X:noswissmap", false, mapClassic},
		{"devel +0a1b2c3d4e Tue Jan 6 10:00:00 2026 +0000", false, mapSwiss},
		{"", false, mapSwiss},
	} {
		if got := mapImpl(c.version, c.swissTag); got != c.want {
			t.Errorf("mapImpl(%q, %t) = %s, want %s", c.version, c.swissTag, got, c.want)
		}
	}
}

// This toolchain's answer agrees with its own experiment suffix: a
// 1.24/1.25 built with GOEXPERIMENT=noswissmap says so in its version.
func TestMapImplOfThisToolchain(t *testing.T) {
	v := runtime.Version()
	got := mapImpl(v, swissmapTag)
	major, minor, ok := goVersion(v)
	if ok && major == 1 && minor >= 26 && got != mapSwiss {
		t.Errorf("%s: %s, want swiss", v, got)
	}
	if ok && major == 1 && minor < 24 && got != mapClassic {
		t.Errorf("%s: %s, want classic", v, got)
	}
	if ok && major == 1 && minor < 26 && strings.Contains(v, "noswissmap") && got != mapClassic {
		t.Errorf("%s: %s, want classic", v, got)
	}
	t.Logf("%s (goexperiment.swissmap %t): %s", v, swissmapTag, got)
}
