package workflow

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWriteAtomicRefusals: writeAtomic leaves the file as it is, and no
// temporary file behind, when the edit was computed from bytes the file
// no longer holds or when the file is read-only.
func TestWriteAtomicRefusals(t *testing.T) {
	cases := []struct {
		name          string
		content, read string
		mode          os.FileMode
		wantErr       string
	}{{
		name:    "the file changed since the verb read it",
		content: "edited by someone else\n", read: "what the verb read\n", mode: 0o644,
		wantErr: "FILE changed while the verb ran, so its edit would drop that change; nothing was written: run it again",
	}, {
		name:    "a read-only file",
		content: "what the verb read\n", read: "what the verb read\n", mode: 0o444,
		wantErr: "FILE is read-only (mode -r--r--r--) and a verb replaces the file it edits; nothing was written; allowed: make it writable (chmod u+w) and run again",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "release.yaml")
			if err := os.WriteFile(file, []byte(c.content), c.mode); err != nil {
				t.Fatal(err)
			}
			err := writeAtomic(file, []byte(c.read), []byte("the verb's edit\n"))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(c.wantErr, strings.ReplaceAll(got, file, "FILE")); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			after, _ := os.ReadFile(file)
			if diff := cmp.Diff(c.content, string(after)); diff != "" {
				t.Errorf("file (-want +got):\n%s", diff)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("%d entries left in the directory, want only the file", len(entries))
			}
		})
	}
}
