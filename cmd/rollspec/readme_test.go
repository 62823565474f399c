package main

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeFirstCommands keeps the README's first lines true: its first
// code block renders a shipped example and names the test command that
// .ci/run runs.
func TestReadmeFirstCommands(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(readme), "\n")
	if len(lines) < 6 || lines[2] != "```sh" {
		t.Fatalf("the README does not open with a sh block of commands:\n%s", strings.Join(lines[:min(len(lines), 6)], "\n"))
	}
	const render = "go run ./cmd/rollspec render "
	var example, test string
	for _, l := range lines[3:] {
		if l == "```" {
			break
		}
		cmd, _, _ := strings.Cut(l, "#")
		cmd = strings.TrimSpace(cmd)
		switch {
		case strings.HasPrefix(cmd, render):
			example = strings.TrimPrefix(cmd, render)
		case cmd != "":
			test = cmd
		}
	}
	if example == "" || test == "" {
		t.Fatalf("the first block needs a render of an example and a test command; got example %q, test %q", example, test)
	}
	code, out, stderr := runCLI(t, "", "render", "../../"+example)
	if code != 0 || !strings.Contains(out, "kind: Deployment") {
		t.Errorf("render %s: exit %d, stderr %s, stdout:\n%s", example, code, stderr, out)
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range strings.Split(string(ci), "\n") {
		cmd, _, _ := strings.Cut(l, "#")
		if strings.TrimSpace(cmd) == test {
			found = true
		}
	}
	if !found {
		t.Errorf(".ci/run does not run the README's test command %q", test)
	}
}
