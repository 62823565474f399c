package main

import (
	"archive/tar"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// TestImage builds the real static binary, packs it with two more static
// tools, and reads the tarball back the way a registry client would: one
// image, one layer per executable (rollspec last, as it changes most),
// nothing else in them, the entrypoint, the non-root user, PATH, and a
// reproducible digest.
func TestImage(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "rollspec")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "../rollspec")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// Any static binary stands in for kustomize and helm here.
	tools := []tool{{"kustomize", bin}, {"helm", bin}}
	out := filepath.Join(dir, "image.tar")
	if err := build2(bin, tools, out); err != nil {
		t.Fatal(err)
	}
	unpacked := filepath.Join(dir, "layout")
	untar(t, out, unpacked)
	p, err := layout.FromPath(unpacked)
	if err != nil {
		t.Fatal(err)
	}
	idx, _ := p.ImageIndex()
	m, _ := idx.IndexManifest()
	if len(m.Manifests) != 1 || m.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "localhost/rollspec:test" {
		t.Fatalf("index: %+v", m.Manifests)
	}
	img, err := p.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	if diff := cmp.Diff([]string{"/usr/local/bin/rollspec"}, cf.Config.Entrypoint); diff != "" {
		t.Errorf("entrypoint (-want +got):\n%s", diff)
	}
	if cf.Config.User != "65532:65532" {
		t.Errorf("user = %q, want 65532:65532", cf.Config.User)
	}
	if diff := cmp.Diff([]string{"PATH=/usr/local/bin"}, cf.Config.Env); diff != "" {
		t.Errorf("env (-want +got): argocd generate finds kustomize and helm on PATH:\n%s", diff)
	}
	layers, _ := img.Layers()
	var files [][]string
	for _, l := range layers {
		rc, _ := l.Uncompressed()
		var names []string
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Typeflag == tar.TypeReg {
				names = append(names, h.Name)
				if h.Mode&0o111 == 0 {
					t.Errorf("%s is not executable", h.Name)
				}
			}
		}
		rc.Close()
		files = append(files, names)
	}
	want := [][]string{{"usr/local/bin/kustomize"}, {"usr/local/bin/helm"}, {"usr/local/bin/rollspec"}}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("files per layer (-want +got): no shell, nothing but the binaries:\n%s", diff)
	}
	// Same binaries, same digest.
	out2 := filepath.Join(dir, "image2.tar")
	if err := build2(bin, tools, out2); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(out2)
	if string(a) != string(b) {
		t.Error("two builds of the same binaries differ")
	}
	st, _ := os.Stat(out)
	t.Logf("image tarball: %.1f MiB", float64(st.Size())/(1<<20))
}

func build2(bin string, tools []tool, out string) error {
	return build(options{binary: bin, output: out, version: "test", repository: "localhost/rollspec", tools: tools})
}

func TestRefusesDynamicBinary(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(sh)
	if err := checkStatic(b); err == nil {
		t.Fatalf("%s is dynamically linked, but checkStatic accepted it", sh)
	}
}

func untar(t *testing.T, file, dir string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, h.Name)
		if h.Typeflag == tar.TypeDir {
			_ = os.MkdirAll(p, 0o755)
			continue
		}
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		b, _ := io.ReadAll(tr)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
