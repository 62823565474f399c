package workflow

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// skippedFiles configure tools; they hold no Release (render skips them too).
var skippedFiles = map[string]bool{
	"kustomization.yaml": true, "kustomization.yml": true, "Kustomization": true, "Kptfile": true,
}

// located is one Release document in a file.
type located struct {
	file string
	src  []byte // the file, without a leading byte-order mark
	bom  []byte // the file's UTF-8 byte-order mark, kept on write; nil when it has none
	doc  int    // index of the document in the file
	node *yaml.Node
	name string // namespace/name or name, as written
}

// yamlFiles lists the files a verb reads for PATH: the file itself, or a
// directory's *.yaml and *.yml files (not recursively), in name order.
func yamlFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist; allowed: a Release file, or a directory holding one", path)
	}
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || skippedFiles[n] || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			continue
		}
		out = append(out, filepath.Join(path, n))
	}
	sort.Strings(out)
	return out, nil
}

// releasesIn finds every Release document under path. A file that does
// not parse is an error: a verb never edits what it cannot read whole.
func releasesIn(path string) ([]located, error) {
	files, err := yamlFiles(path)
	if err != nil {
		return nil, err
	}
	var out []located
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		// Some editors start a file with a UTF-8 byte-order mark. The
		// parser skips it but the editor's byte offsets would count it:
		// edit the rest and put it back in front.
		var bom []byte
		if b, ok := bytes.CutPrefix(src, utf8BOM); ok {
			src, bom = b, utf8BOM
		}
		s, err := parseStream(src)
		if err != nil {
			return nil, fmt.Errorf("%s does not parse as YAML (%v); allowed: a valid YAML file, which a verb then edits in place", f, err)
		}
		for i, d := range s.docs {
			if len(d.Content) == 0 || d.Content[0].Kind != yaml.MappingNode {
				continue
			}
			root := d.Content[0]
			if err := releaseInList(f, i, root); err != nil {
				return nil, err
			}
			if !isRelease(scalar(root, "apiVersion"), scalar(root, "kind")) {
				continue
			}
			name := scalar(mapping(root, "metadata"), "name")
			if ns := scalar(mapping(root, "metadata"), "namespace"); ns != "" {
				name = ns + "/" + name
			}
			out = append(out, located{file: f, src: src, bom: bom, doc: i, node: d, name: name})
		}
	}
	return out, nil
}

func mapping(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	_, v, _ := lookup(m, key)
	return v
}

func scalar(m *yaml.Node, key string) string {
	v := mapping(m, key)
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}

// chooseRelease picks the Release a verb edits: the only one under path,
// or the one --release names (NAME or NAMESPACE/NAME).
func chooseRelease(path, name string) (*located, error) {
	all, err := releasesIn(path)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("no Release in %s; allowed: a file or directory holding a rollspec.dev/v1alpha1 Release", path)
	}
	// The name as written wins: "web" chooses the Release without a
	// namespace next to prod/web, which no longer form could name.
	var found []located
	for _, l := range all {
		if name != "" && l.name == name {
			found = append(found, l)
		}
	}
	if len(found) == 0 {
		for _, l := range all {
			if name == "" || strings.HasSuffix(l.name, "/"+name) {
				found = append(found, l)
			}
		}
	}
	list := func(ls []located) string {
		parts := make([]string, len(ls))
		for i, l := range ls {
			parts[i] = fmt.Sprintf("%s (%s, document %d)", l.name, l.file, l.doc+1)
		}
		return strings.Join(parts, ", ")
	}
	switch {
	case len(found) == 1:
		return &found[0], nil
	case len(found) == 0:
		return nil, fmt.Errorf("no Release named %q in %s; found: %s", name, path, list(all))
	case name == "":
		return nil, fmt.Errorf("%s holds %d Releases: %s; choose one with --release NAME", path, len(found), list(found))
	}
	return nil, fmt.Errorf("--release %q names %d Releases in %s: %s; allowed: NAMESPACE/NAME to tell them apart", name, len(found), path, list(found))
}

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// maxLockTries bounds the retries of lockFile.
const maxLockTries = 100

// writeAtomic replaces a file's contents through a temporary file in the
// same directory and a rename, so a reader (or a crash) never sees half a
// file. The file keeps its permissions; a symlink keeps pointing at it.
// read is what the edit was computed from: when the file holds something
// else now (a writer that does not take the lock, such as an editor), the
// edit is refused rather than written over that change.
func writeAtomic(path string, read, data []byte) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	info, err := os.Stat(real)
	if err != nil {
		return err
	}
	// A file no one may write (mode 0444), or that this user may not,
	// is refused as an editor would: the rename would replace it anyway.
	if info.Mode().Perm()&0o222 == 0 {
		return fmt.Errorf("%s is read-only (mode %v) and a verb replaces the file it edits; nothing was written; allowed: make it writable (chmod u+w) and run again", path, info.Mode().Perm())
	}
	if !canWrite(real) {
		return fmt.Errorf("%s is not writable by this user (mode %v) and a verb replaces the file it edits; nothing was written; allowed: run as a user who may write it, or make it writable", path, info.Mode().Perm())
	}
	tmp, err := os.CreateTemp(filepath.Dir(real), "."+filepath.Base(real)+".rollspec-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), info.Mode().Perm()); err != nil {
		return err
	}
	if now, err := os.ReadFile(real); err != nil || !bytes.Equal(now, read) {
		return fmt.Errorf("%s changed while the verb ran, so its edit would drop that change; nothing was written: run it again", path)
	}
	return os.Rename(tmp.Name(), real)
}
