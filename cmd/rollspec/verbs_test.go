package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var updateVerbs = flag.Bool("update-verbs", false, "rewrite testdata/workflow/verbs/*/ expected files; review the diff")

const verbsDir = "../../testdata/workflow/verbs"

// TestVerbsGolden runs the commands of each case under
// testdata/workflow/verbs in order on a copy of its input.yaml (named
// release.yaml) and compares what a user sees: the transcript of every
// command (exit code, stdout, stderr) and the file after each command that
// changed it (after-N.yaml). A command that reports no change must leave
// the file byte for byte as it was.
func TestVerbsGolden(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join(verbsDir, "*", "commands"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, c := range cases {
		caseDir, _ := filepath.Abs(filepath.Dir(c))
		t.Run(filepath.Base(caseDir), func(t *testing.T) {
			cmds, err := os.ReadFile(filepath.Join(caseDir, "commands"))
			if err != nil {
				t.Fatal(err)
			}
			input, err := os.ReadFile(filepath.Join(caseDir, "input.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			work := t.TempDir()
			if err := os.WriteFile(filepath.Join(work, "release.yaml"), input, 0o640); err != nil {
				t.Fatal(err)
			}
			t.Chdir(work)
			got := map[string]string{}
			var transcript strings.Builder
			n := 0
			for _, line := range strings.Split(strings.TrimSpace(string(cmds)), "\n") {
				if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				n++
				before, _ := os.ReadFile("release.yaml")
				code, stdout, stderr := runCLI(t, "", strings.Fields(line)...)
				after, err := os.ReadFile("release.yaml")
				if err != nil {
					t.Fatalf("%s: the file is gone: %v", line, err)
				}
				fmt.Fprintf(&transcript, "$ rollspec %s\nexit %d\n%s", line, code, stdout)
				if stderr != "" {
					fmt.Fprintf(&transcript, "stderr: %s", stderr)
				}
				changed := string(before) != string(after)
				if changed {
					name := fmt.Sprintf("after-%d.yaml", n)
					got[name] = string(after)
					fmt.Fprintf(&transcript, "file: %s\n", name)
				}
				fmt.Fprintln(&transcript)
				if changed && (code != 0 || strings.Contains(stdout, ": unchanged: ") || strings.Contains(line, "--dry-run")) {
					t.Errorf("%s: exit %d but the file changed", line, code)
				}
				if !changed && code == 0 && strings.Contains(stdout, "\nsuggested commit message:") && !strings.Contains(line, "--dry-run") {
					t.Errorf("%s: reports an edit but the file is unchanged", line)
				}
				if info, err := os.Stat("release.yaml"); err == nil && info.Mode().Perm() != 0o640 {
					t.Errorf("%s: the file's mode became %v", line, info.Mode().Perm())
				}
			}
			got["transcript.txt"] = transcript.String()
			if entries, _ := os.ReadDir("."); len(entries) != 1 {
				t.Errorf("the directory holds %d entries after the verbs, want only release.yaml (no temporary file left)", len(entries))
			}
			if *updateVerbs {
				old, _ := filepath.Glob(filepath.Join(caseDir, "after-*.yaml"))
				for _, f := range old {
					os.Remove(f)
				}
				for name, content := range got {
					if err := os.WriteFile(filepath.Join(caseDir, name), []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			want := map[string]string{}
			files, _ := filepath.Glob(filepath.Join(caseDir, "*"))
			for _, f := range files {
				base := filepath.Base(f)
				if base == "transcript.txt" || strings.HasPrefix(base, "after-") {
					b, _ := os.ReadFile(f)
					want[base] = string(b)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("output differs from %s (-want +got; -update-verbs rewrites it, then review):\n%s", caseDir, diff)
			}
		})
	}
}

// TestVerbsConcurrent: verbs run at the same time on one file, each on
// its own Release, all land: none writes over another's edit.
func TestVerbsConcurrent(t *testing.T) {
	const n = 8
	var src strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&src, "---\napiVersion: rollspec.dev/v1alpha1\nkind: Release\nmetadata: {name: r%d}\nspec: {image: \"nginx:1.0\"}\n", i)
	}
	for round := 0; round < 5; round++ {
		file := filepath.Join(t.TempDir(), "releases.yaml")
		if err := os.WriteFile(file, []byte(src.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		codes := make(chan string, n)
		for i := 0; i < n; i++ {
			go func() {
				code, _, stderr := runCLI(t, "", "set-image", "--release", fmt.Sprintf("r%d", i), file, fmt.Sprintf("nginx:2.%d", i))
				codes <- fmt.Sprintf("r%d: exit %d %s", i, code, stderr)
			}()
		}
		for i := 0; i < n; i++ {
			if c := <-codes; !strings.Contains(c, "exit 0 ") {
				t.Errorf("round %d: %s", round, c)
			}
		}
		got, _ := os.ReadFile(file)
		for i := 0; i < n; i++ {
			if !strings.Contains(string(got), fmt.Sprintf(`nginx:2.%d"`, i)) {
				t.Errorf("round %d: the edit of r%d is lost:\n%s", round, i, got)
			}
		}
	}
}
