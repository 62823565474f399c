package api

import "testing"

func TestNearest(t *testing.T) {
	rolling := []string{"maxSurge", "maxUnavailable", "profile"}
	top := []string{"apiVersion", "kind", "metadata", "spec"}
	spec := []string{"blueGreen", "canary", "container", "deployment", "image", "minReadySeconds", "paused", "port", "probes", "replicas", "strategy", "tag", "version"}
	tests := []struct {
		name, key string
		allowed   []string
		want      string
	}{
		{"missing letter", "maxSurg", rolling, "maxSurge"},
		{"extra letter", "maxSurges", rolling, "maxSurge"},
		{"swapped letters", "maxSugre", rolling, "maxSurge"},
		{"case", "MaxUnavailable", rolling, "maxUnavailable"},
		{"snake case", "max_unavailable", rolling, "maxUnavailable"},
		{"plural", "specs", top, "spec"},
		{"singular", "replica", spec, "replicas"},
		{"misspelt", "stratgey", spec, "strategy"},
		{"short key, one edit", "tags", spec, "tag"},
		{"nothing close", "timeout", spec, ""},
		{"a different word of the same length", "name", spec, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := nearest(tc.key, tc.allowed); got != tc.want {
				t.Errorf("nearest(%q) = %q, want %q", tc.key, got, tc.want)
			}
		})
	}
}
