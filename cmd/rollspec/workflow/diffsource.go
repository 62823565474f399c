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
	object := rev + ":./" + p
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
		name := filepath.Join(dir, path.Base(p))
		if err := gitFile(object, name); err != nil {
			return fail(err)
		}
		return name, cleanup, nil
	case "tree":
		// --full-tree: without it ls-tree lists only what lies under the
		// current directory.
		list, err := git("ls-tree", "--full-tree", object)
		if err != nil {
			return fail(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
			meta, name, ok := strings.Cut(line, "\t")
			if !ok || !strings.Contains(meta, " blob ") || skippedFiles[name] ||
				!(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
				continue
			}
			if err := gitFile(strings.TrimSuffix(object, "/")+"/"+name, filepath.Join(dir, name)); err != nil {
				return fail(err)
			}
		}
		return dir, cleanup, nil
	}
	return fail(fmt.Errorf("is a %s; allowed: a file or a directory", strings.TrimSpace(kind)))
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

func gitFile(object, dest string) error {
	var out, errOut bytes.Buffer
	cmd := exec.Command("git", "cat-file", "blob", object)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("git cat-file blob %s: %v: %s", object, err, strings.TrimSpace(errOut.String()))
	}
	return os.WriteFile(dest, out.Bytes(), 0o644)
}
