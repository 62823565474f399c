package workflow

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// materialize turns a diff argument into a path render can read: a
// directory or file as it is, or git:REV:PATH written out of Git into a
// temporary directory (PATH relative to the current directory, as on
// disk; a directory gives its *.yaml files, as render reads them).
func materialize(spec string) (string, func(), error) {
	noop := func() {}
	rest, ok := strings.CutPrefix(spec, "git:")
	if !ok {
		if _, err := os.Stat(spec); err != nil {
			return "", noop, fmt.Errorf("%s: %w; allowed: a directory, a file, or git:REV:PATH", spec, err)
		}
		return spec, noop, nil
	}
	rev, p, ok := strings.Cut(rest, ":")
	if !ok || rev == "" {
		return "", noop, fmt.Errorf("%q: want git:REV:PATH, such as git:HEAD~1:deploy/app", spec)
	}
	p = path.Clean(filepath.ToSlash(p))
	if p == "." {
		p = ""
	}
	object := gitObject(rev, p)
	kind, err := git("cat-file", "-t", object)
	if err != nil {
		return "", noop, fmt.Errorf("%s: %v", spec, err)
	}
	dir, err := os.MkdirTemp("", "rollspec-diff-")
	if err != nil {
		return "", noop, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	fail := func(err error) (string, func(), error) {
		cleanup()
		return "", noop, fmt.Errorf("%s: %v", spec, err)
	}
	switch strings.TrimSpace(kind) {
	case "blob":
		// The path itself may be a symlink: look it up in its directory
		// to learn its mode.
		parent, base := path.Split(p)
		entries, err := lsTree(gitObject(rev, path.Clean("./"+parent)))
		if err != nil {
			return fail(err)
		}
		var oid string
		for _, e := range entries {
			if e.name == base {
				if oid, err = followBlob(rev, p, e); err != nil {
					return fail(err)
				}
			}
		}
		if oid == "" {
			return fail(fmt.Errorf("%s is not in the tree of %s", p, rev))
		}
		name := filepath.Join(dir, base)
		if err := gitFile(oid, name); err != nil {
			return fail(err)
		}
		return name, cleanup, nil
	case "tree":
		entries, err := lsTree(object)
		if err != nil {
			return fail(err)
		}
		for _, e := range entries {
			if e.typ != "blob" || skippedFiles[e.name] ||
				!(strings.HasSuffix(e.name, ".yaml") || strings.HasSuffix(e.name, ".yml")) {
				continue
			}
			oid, err := followBlob(rev, path.Join(p, e.name), e)
			if err != nil {
				return fail(err)
			}
			if err := gitFile(oid, filepath.Join(dir, e.name)); err != nil {
				return fail(err)
			}
		}
		return dir, cleanup, nil
	}
	return fail(fmt.Errorf("is a %s; allowed: a file or a directory", strings.TrimSpace(kind)))
}

// gitObject names PATH (relative to the current directory, cleaned) at
// REV: Git reads "./" and "../" paths from the current directory.
func gitObject(rev, p string) string {
	if p == ".." || strings.HasPrefix(p, "../") {
		return rev + ":" + p
	}
	return rev + ":./" + strings.TrimPrefix(p, ".")
}

// treeEntry is one line of git ls-tree.
type treeEntry struct {
	mode, typ, oid, name string
}

// lsTree lists a tree. -z gives every name as Git stores it: without it
// Git quotes names with bytes outside printable ASCII ("d\303\251...")
// and such a file would fail the .yaml test and go unread.
func lsTree(object string) ([]treeEntry, error) {
	// --full-tree: without it ls-tree lists only what lies under the
	// current directory.
	list, err := git("ls-tree", "-z", "--full-tree", object)
	if err != nil {
		return nil, err
	}
	var out []treeEntry
	for _, rec := range strings.Split(list, "\x00") {
		meta, name, ok := strings.Cut(rec, "\t")
		if !ok {
			continue
		}
		f := strings.Fields(meta)
		if len(f) != 3 {
			return nil, fmt.Errorf("git ls-tree %s: unexpected line %q", object, rec)
		}
		out = append(out, treeEntry{mode: f[0], typ: f[1], oid: f[2], name: name})
	}
	return out, nil
}

// maxLinks bounds a chain of symlinks, as the kernel does (ELOOP).
const maxLinks = 40

// followBlob gives the blob a tree entry at p holds: the entry itself, or
// for a symlink (mode 120000) the file it points to in the same tree, as
// reading the checkout would. A link that leaves the repository, points
// at a directory or loops is an error naming it.
func followBlob(rev, p string, e treeEntry) (string, error) {
	for i := 0; e.mode == "120000"; i++ {
		if i == maxLinks {
			return "", fmt.Errorf("%s: too many levels of symlinks", p)
		}
		target, err := git("cat-file", "blob", e.oid)
		if err != nil {
			return "", err
		}
		if path.IsAbs(target) {
			return "", fmt.Errorf("%s is a symlink to %s, outside the tree at %s; allowed: a relative link inside the repository, or the file itself", p, target, rev)
		}
		next := path.Clean(path.Join(path.Dir(p), target))
		parent, base := path.Split(next)
		entries, err := lsTree(gitObject(rev, path.Clean("./"+parent)))
		if err != nil {
			return "", fmt.Errorf("%s is a symlink to %s, which is not in the tree at %s: %v", p, target, rev, err)
		}
		found := false
		for _, x := range entries {
			if x.name == base {
				e, found = x, true
			}
		}
		if !found {
			return "", fmt.Errorf("%s is a symlink to %s, which is not in the tree at %s; allowed: a link to a file committed with it", p, target, rev)
		}
		p = next
	}
	if e.typ != "blob" {
		return "", fmt.Errorf("%s is a %s at %s; allowed: a file", p, e.typ, rev)
	}
	return e.oid, nil
}

func git(args ...string) (string, error) {
	var out, errOut bytes.Buffer
	cmd := exec.Command("git", args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

// gitFile writes a blob (by id or REV:PATH, passed to Git as one
// argument, so no name is quoted) to dest.
func gitFile(object, dest string) error {
	var out, errOut bytes.Buffer
	cmd := exec.Command("git", "cat-file", "blob", object)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("git cat-file blob %s: %v: %s", object, err, strings.TrimSpace(errOut.String()))
	}
	return os.WriteFile(dest, out.Bytes(), 0o644)
}
