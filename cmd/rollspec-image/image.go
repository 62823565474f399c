package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Image layout choices.
const (
	binaryPath = "/usr/local/bin/rollspec"
	// nonRoot is the conventional "nonroot" UID/GID of minimal images.
	nonRoot = "65532:65532"
)

type options struct {
	binary, output, version, repository string
	// tools are more static binaries for /usr/local/bin: the kustomize and
	// helm that `rollspec argocd generate` runs in the Argo CD sidecar.
	tools []tool
}

// tool is a binary to put into the image under /usr/local/bin/name.
type tool struct {
	name, path string
}

// epoch keeps the image reproducible: same binary, same digest.
var epoch = time.Unix(0, 0).UTC()

// build writes the image tarball.
func build(o options) error {
	// The tools go first: they change less often than rollspec, so a new
	// rollspec pushes one small layer.
	var files []file
	for _, t := range append(o.tools, tool{"rollspec", o.binary}) {
		b, err := os.ReadFile(t.path)
		if err != nil {
			return fmt.Errorf("reading %s: %w", t.name, err)
		}
		if err := checkStatic(b); err != nil {
			return fmt.Errorf("%s: %w", t.path, err)
		}
		files = append(files, file{path: "/usr/local/bin/" + t.name, data: b})
	}
	img, err := image(files, o.version)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "rollspec-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("writing the OCI layout: %w", err)
	}
	ref := o.repository + ":" + o.version
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": ref,
		"io.containerd.image.name":          ref,
	})); err != nil {
		return fmt.Errorf("writing the OCI layout: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(o.output), 0o755); err != nil {
		return err
	}
	return tarDir(dir, o.output)
}

// file is one executable of the image.
type file struct {
	path string
	data []byte
}

// image assembles the image: one layer per executable, the last one
// rollspec, which is the entrypoint.
func image(files []file, version string) (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	for i, f := range files {
		data := layerTar(f, i == 0)
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(data)), nil
		}, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return nil, fmt.Errorf("making the layer of %s: %w", f.path, err)
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: "rollspec-image: " + f.path, Created: v1.Time{Time: epoch}}})
		if err != nil {
			return nil, err
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Created = v1.Time{Time: epoch}
	cf.Config.Entrypoint = []string{binaryPath}
	cf.Config.User = nonRoot
	cf.Config.WorkingDir = "/"
	cf.Config.Env = []string{"PATH=/usr/local/bin"}
	cf.Config.Labels = map[string]string{
		"org.opencontainers.image.title":   "rollspec",
		"org.opencontainers.image.version": version,
	}
	return mutate.ConfigFile(img, cf)
}

// layerTar holds one executable; the first layer also holds the
// directories and an empty, world-writable /tmp (tools that run the
// function may expect one, helm keeps its cache there). Nothing else: no
// shell, no libc.
func layerTar(f file, first bool) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if first {
		for _, d := range []string{"tmp/", "usr/", "usr/local/", "usr/local/bin/"} {
			mode := int64(0o755)
			if d == "tmp/" {
				mode = 0o1777
			}
			_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: mode, ModTime: epoch, Format: tar.FormatPAX})
		}
	}
	_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.path[1:], Mode: 0o755, Size: int64(len(f.data)), ModTime: epoch, Format: tar.FormatPAX})
	_, _ = tw.Write(f.data)
	_ = tw.Close()
	return buf.Bytes()
}

// checkStatic refuses a binary that needs a dynamic loader: the image has
// no libc.
func checkStatic(bin []byte) error {
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		return fmt.Errorf("not an ELF binary: %w", err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("is dynamically linked; build it with CGO_ENABLED=0 (make build)")
		}
	}
	return nil
}

// tarDir packs an OCI layout directory into a tarball, in name order.
func tarDir(dir, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	walkErr := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: rel + "/", Mode: 0o755, ModTime: epoch})
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: rel, Mode: 0o644, Size: int64(len(b)), ModTime: epoch}); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err := errors.Join(walkErr, tw.Close(), f.Close()); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return nil
}
