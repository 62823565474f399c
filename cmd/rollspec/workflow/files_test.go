package workflow

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWriteAtomicRefusesAChangedFile: an edit computed from bytes the
// file no longer holds is not written over them.
func TestWriteAtomicRefusesAChangedFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "release.yaml")
	if err := os.WriteFile(file, []byte("edited by someone else\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := writeAtomic(file, []byte("what the verb read\n"), []byte("the verb's edit\n"))
	want := file + " changed while the verb ran, so its edit would drop that change; nothing was written: run it again"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	got, _ := os.ReadFile(file)
	if diff := cmp.Diff("edited by someone else\n", string(got)); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries left in the directory, want only the file", len(entries))
	}
}
