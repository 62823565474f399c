package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestRenderPathLinksNoClient: rollspec, whose KRM and render paths start
// on every build, does not link client-go; rollspec status runs the
// rollspec-status helper for that (measured in docs/PERFORMANCE.md).
func TestRenderPathLinksNoClient(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "k8s.io/client-go/") || strings.HasPrefix(pkg, "k8s.io/apimachinery/") {
			t.Errorf("cmd/rollspec links %s", pkg)
		}
	}
}

// TestStatusFlags: bad flags give no verdict (exit 3) before anything is
// read; --help gives the exit codes a pipeline acts on.
func TestStatusFlags(t *testing.T) {
	code, _, stderr := runCLI(t, "", "status", "-o", "yaml")
	if code != 3 || !strings.Contains(stderr, `--output "yaml": allowed: text, json`) {
		t.Errorf("exit %d, want 3:\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, "", "status", "--wait=maybe")
	if code != 3 || !strings.Contains(stderr, "invalid argument") {
		t.Errorf("exit %d, want 3:\n%s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "", "status", "--help")
	if code != 0 || !strings.Contains(stderr+stdout, "Exit 0: the current step is healthy.") {
		t.Errorf("--help: exit %d:\n%s%s", code, stdout, stderr)
	}
}
