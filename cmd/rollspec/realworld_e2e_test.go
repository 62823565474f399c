//go:build e2e

// The real-world suite: manifests in the shapes of public apps
// (testdata/realworld/<shape>/) through `rollspec render`, real kustomize
// and real kpt, compared with reviewed expected output under
// testdata/realworld/<shape>/expected/ (-update-e2e rewrites it) and held
// to properties that a golden file alone would not state: one object per
// identity, every autoscaler and route pointing at an object that exists,
// every Service selecting pods that exist, and nothing of kustomize's
// bookkeeping left on what rollspec generates.
//
// Shapes: boutique (a multi-service shop, one file per app, five Releases;
// also a kpt package), podinfo (a base with an autoscaler, a budget and an
// Ingress under overlays), helm (a chart rendered by helm template, with
// app.kubernetes.io/instance selectors and a test hook Pod).
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

var realworld = filepath.Join(repo, "testdata", "realworld")

// expectFile compares got with testdata/realworld/<rel>.
func expectFile(t *testing.T, rel, got string) {
	t.Helper()
	file := filepath.Join(realworld, rel)
	if *updateE2E {
		_ = os.MkdirAll(filepath.Dir(file), 0o755)
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run make e2e-update and review)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", rel, diff)
	}
}

// expectTree compares a package's files (path to content, as tree reads
// them) with the files under testdata/realworld/<rel>/: a file missing or
// extra on either side is a difference too, as kpt adds and removes files.
func expectTree(t *testing.T, rel string, got map[string]string) {
	t.Helper()
	root := filepath.Join(realworld, rel)
	if *updateE2E {
		_ = os.RemoveAll(root)
		for name, content := range got {
			file := filepath.Join(root, filepath.FromSlash(name))
			_ = os.MkdirAll(filepath.Dir(file), 0o755)
			if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := os.Stat(root); err != nil {
		t.Fatalf("%v (run make e2e-update and review)", err)
	}
	if diff := cmp.Diff(tree(t, root), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", rel, diff)
	}
}

// tree reads every file under dir, keyed by its slash-separated path.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// copyPackage copies the files of a shape that make its kpt package: all
// but the expected output and the kustomization, which kpt would read as
// one more resource.
func copyPackage(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	for name, content := range tree(t, src) {
		if strings.HasPrefix(name, "expected/") || name == "kustomization.yaml" {
			continue
		}
		file := filepath.Join(dst, filepath.FromSlash(name))
		_ = os.MkdirAll(filepath.Dir(file), 0o755)
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// editFile replaces old with new in a file, exactly once: a release step
// made by hand in a Release file.
func editFile(t *testing.T, file, old, new string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte(old)); n != 1 {
		t.Fatalf("%s holds %q %d times; want once", file, old, n)
	}
	if err := os.WriteFile(file, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// renderStdin runs `rollspec render` in dir with stdin.
func renderStdin(t *testing.T, dir, stdin string, args ...string) (string, string) {
	t.Helper()
	p, err := lookPath("rollspec")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(p, append([]string{"render"}, args...)...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("rollspec render %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), errOut.String()
}

// kustomizeBuild builds a kustomization with the exec plugins enabled.
// rollspec runs through a wrapper that keeps each ResourceList the
// function hands back to kustomize: kustomize removes its own annotations
// from the final output, so only there can a test see whether a generated
// object carried the earlier identity of its base (which made kustomize
// fail with "found multiple possible referrals").
func kustomizeBuild(t *testing.T, dir string) (out string, fnOutputs []string) {
	t.Helper()
	real, err := lookPath("rollspec")
	if err != nil {
		t.Fatal(err)
	}
	wrapDir, capture := t.TempDir(), t.TempDir()
	script := fmt.Sprintf("#!/bin/sh\nout=$(mktemp %q/out.XXXXXX) || exit 1\n%q \"$@\" > \"$out\"\nrc=$?\ncat \"$out\"\nexit $rc\n", capture, real)
	if err := os.WriteFile(filepath.Join(wrapDir, "rollspec"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + wrapDir + string(os.PathListSeparator) + toolPath}
	out, errOut, err := runTool(t, dir, env, "kustomize", "build", "--enable-alpha-plugins", "--enable-exec", ".")
	if err != nil {
		t.Fatalf("kustomize build %s: %v\n%s", dir, err, errOut)
	}
	entries, _ := os.ReadDir(capture)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(capture, e.Name()))
		fnOutputs = append(fnOutputs, string(b))
	}
	return out, fnOutputs
}

// kptRender runs kpt fn render in a package and returns its files after.
func kptRender(t *testing.T, dir string) map[string]string {
	t.Helper()
	if _, errOut, err := runTool(t, dir, nil, "kpt", "fn", "render", "--allow-exec", "."); err != nil {
		t.Fatalf("kpt fn render: %v\n%s", err, errOut)
	}
	return tree(t, dir)
}

// parseStream reads a YAML stream into objects.
func parseStream(t *testing.T, what, stream string) []*yaml.RNode {
	t.Helper()
	nodes, err := (&kio.ByteReader{Reader: strings.NewReader(stream), OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatalf("%s is not a YAML stream: %v", what, err)
	}
	return nodes
}

// packageObjects reads every YAML document of a kpt package's files.
func packageObjects(t *testing.T, files map[string]string) []*yaml.RNode {
	t.Helper()
	var names []string
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var all []*yaml.RNode
	for _, name := range names {
		all = append(all, parseStream(t, name, files[name])...)
	}
	return all
}

// identity names an object the way the API server does: group, kind,
// namespace and name.
func identity(n *yaml.RNode) string {
	group, _, found := strings.Cut(n.GetApiVersion(), "/")
	if !found {
		group = ""
	}
	return fmt.Sprintf("%s/%s %s/%s", group, n.GetKind(), n.GetNamespace(), n.GetName())
}

func str(n *yaml.RNode, path ...string) string {
	v, err := n.Pipe(yaml.Lookup(path...))
	if err != nil || v == nil {
		return ""
	}
	return yaml.GetValue(v)
}

func stringMap(n *yaml.RNode, path ...string) map[string]string {
	v, err := n.Pipe(yaml.Lookup(path...))
	if err != nil || v == nil {
		return nil
	}
	m := map[string]string{}
	_ = v.VisitFields(func(f *yaml.MapNode) error {
		m[yaml.GetValue(f.Key)] = yaml.GetValue(f.Value)
		return nil
	})
	return m
}

func elements(n *yaml.RNode, path ...string) []*yaml.RNode {
	v, err := n.Pipe(yaml.Lookup(path...))
	if err != nil || v == nil {
		return nil
	}
	els, _ := v.Elements()
	return els
}

// checkProperties holds a rendered set of objects to what any release
// must leave true, whatever the golden file says.
func checkProperties(t *testing.T, what string, objs []*yaml.RNode) {
	t.Helper()
	ids := map[string]bool{}
	byKind := map[string]map[string]*yaml.RNode{} // kind -> namespace/name -> object
	for _, o := range objs {
		id := identity(o)
		if ids[id] {
			t.Errorf("%s: two objects are %s", what, id)
		}
		ids[id] = true
		if byKind[o.GetKind()] == nil {
			byKind[o.GetKind()] = map[string]*yaml.RNode{}
		}
		byKind[o.GetKind()][o.GetNamespace()+"/"+o.GetName()] = o
		for k := range o.GetAnnotations() {
			if strings.HasPrefix(k, "internal.config.kubernetes.io/previous") {
				t.Errorf("%s: %s carries %s", what, id, k)
			}
		}
	}
	exists := func(kind, ns, name string) bool { return byKind[kind][ns+"/"+name] != nil }

	for _, hpa := range byKind["HorizontalPodAutoscaler"] {
		kind, name := str(hpa, "spec", "scaleTargetRef", "kind"), str(hpa, "spec", "scaleTargetRef", "name")
		if !exists(kind, hpa.GetNamespace(), name) {
			t.Errorf("%s: %s scales %s %q, which is not in the output", what, identity(hpa), kind, name)
			continue
		}
		// An autoscaler cannot scale up from 0, and a Deployment at 0
		// switches its autoscaler off.
		if kind == "Deployment" && str(byKind[kind][hpa.GetNamespace()+"/"+name], "spec", "replicas") == "0" {
			t.Errorf("%s: %s scales Deployment %q, which has replicas: 0", what, identity(hpa), name)
		}
	}
	for _, ing := range byKind["Ingress"] {
		var backends []string
		if b := str(ing, "spec", "defaultBackend", "service", "name"); b != "" {
			backends = append(backends, b)
		}
		for _, rule := range elements(ing, "spec", "rules") {
			for _, p := range elements(rule, "http", "paths") {
				backends = append(backends, str(p, "backend", "service", "name"))
			}
		}
		if len(backends) == 0 {
			t.Errorf("%s: %s has no backend", what, identity(ing))
		}
		for _, b := range backends {
			if !exists("Service", ing.GetNamespace(), b) {
				t.Errorf("%s: %s routes to Service %q, which is not in the output", what, identity(ing), b)
			}
		}
	}
	for _, route := range byKind["HTTPRoute"] {
		for _, rule := range elements(route, "spec", "rules") {
			for _, ref := range elements(rule, "backendRefs") {
				if k := str(ref, "kind"); (k != "" && k != "Service") || str(ref, "group") != "" {
					continue
				}
				ns := str(ref, "namespace")
				if ns == "" {
					ns = route.GetNamespace()
				}
				if !exists("Service", ns, str(ref, "name")) {
					t.Errorf("%s: %s routes to Service %q, which is not in the output", what, identity(route), str(ref, "name"))
				}
			}
		}
	}
	for _, svc := range byKind["Service"] {
		sel := stringMap(svc, "spec", "selector")
		if len(sel) == 0 {
			continue
		}
		var selected []string
		colors := map[string]bool{}
		for _, d := range byKind["Deployment"] {
			if d.GetNamespace() != svc.GetNamespace() {
				continue
			}
			pod := stringMap(d, "spec", "template", "metadata", "labels")
			matches := true
			for k, v := range sel {
				if pod[k] != v {
					matches = false
				}
			}
			if matches {
				selected = append(selected, d.GetName())
				if c := pod["rollspec.dev/color"]; c != "" {
					colors[c] = true
				}
			}
		}
		if len(selected) == 0 {
			t.Errorf("%s: %s selects %v, which no Deployment's pod template carries", what, identity(svc), sel)
		}
		if len(colors) > 1 {
			sort.Strings(selected)
			t.Errorf("%s: %s selects the pods of both colors: %v", what, identity(svc), selected)
		}
	}
}

// checkFunctionOutputs checks what rollspec handed back to kustomize.
// kustomize resolves name references (an autoscaler's target, an
// Ingress's Service) after the transformers, through the earlier names it
// recorded on each object (internal.config.kubernetes.io/previous*): two
// objects that claim one earlier identity make it fail with "found
// multiple possible referrals". The object that takes the base's place
// (the target itself, or the blue color that took over its file) keeps
// its base's record; a copy made beside it must not carry one. want is
// the number of transformer runs.
func checkFunctionOutputs(t *testing.T, fnOutputs []string, want int) {
	t.Helper()
	if len(fnOutputs) != want {
		t.Fatalf("kustomize ran rollspec %d times, want %d (one per transformer)", len(fnOutputs), want)
	}
	generated := 0
	for i, out := range fnOutputs {
		rl, err := yaml.Parse(out)
		if err != nil {
			t.Fatalf("function output %d: %v", i, err)
		}
		claims := map[string][]string{}
		for _, it := range elements(rl, "items") {
			if it.GetLabels()["rollspec.dev/role"] != "" {
				generated++
			}
			a := it.GetAnnotations()
			if names, ok := a["internal.config.kubernetes.io/previousNames"]; ok {
				earlier := fmt.Sprintf("%s %s in %s", a["internal.config.kubernetes.io/previousKinds"], names, a["internal.config.kubernetes.io/previousNamespaces"])
				claims[earlier] = append(claims[earlier], identity(it))
			}
		}
		for earlier, objs := range claims {
			if len(objs) > 1 {
				t.Errorf("function output %d: %v all claim the earlier identity %s", i, objs, earlier)
			}
		}
	}
	if generated == 0 {
		t.Error("no function output holds a generated object: nothing was checked")
	}
}

// objectSet keys each object by identity, its content as JSON: two
// renders that print the same objects in another order or layout compare
// equal.
func objectSet(t *testing.T, objs []*yaml.RNode) map[string]string {
	t.Helper()
	set := map[string]string{}
	for _, o := range objs {
		b, err := o.MarshalJSON()
		if err != nil {
			t.Fatalf("%s: %v", identity(o), err)
		}
		var v any
		_ = json.Unmarshal(b, &v)
		pretty, _ := json.MarshalIndent(v, "", "  ")
		set[identity(o)] = string(pretty)
	}
	return set
}

// checkUntouched: the objects no Release targets come out as they went in
// (same tree, comments and field order).
func checkUntouched(t *testing.T, in, out []*yaml.RNode, ids ...string) {
	t.Helper()
	find := func(objs []*yaml.RNode, id string) string {
		for _, o := range objs {
			if identity(o) == id {
				return o.MustString()
			}
		}
		return ""
	}
	for _, id := range ids {
		before := find(in, id)
		if before == "" {
			t.Fatalf("%s is not in the input", id)
		}
		if diff := cmp.Diff(before, find(out, id)); diff != "" {
			t.Errorf("%s changed (-in +out):\n%s", id, diff)
		}
	}
}

func readObjects(t *testing.T, files ...string) []*yaml.RNode {
	t.Helper()
	var all []*yaml.RNode
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, parseStream(t, f, string(b))...)
	}
	return all
}

// TestRealWorldBoutique: six services in one file each (frontend blue/green
// behind an Ingress and a LoadBalancer under an autoscaler and a budget,
// a gRPC canary, a headless redis recreated, anchored labels rolled, a
// drain-first rollout with a graceful shutdown, one service no Release
// touches) through render, kustomize and a kpt pipeline with one mutator
// per Release.
func TestRealWorldBoutique(t *testing.T) {
	shape := filepath.Join(realworld, "boutique")
	apps := []string{"cartservice.yaml", "checkoutservice.yaml", "currencyservice.yaml", "frontend.yaml", "productcatalogservice.yaml", "redis-cart.yaml"}
	var inputFiles []string
	for _, a := range apps {
		inputFiles = append(inputFiles, filepath.Join(shape, a))
	}
	input := readObjects(t, inputFiles...)
	untouched := []string{
		"apps/Deployment /currencyservice", "/Service /currencyservice",
		"networking.k8s.io/Ingress /frontend", "/ServiceAccount /frontend", "/ServiceAccount /cartservice",
		"/Service /cartservice", "/Service /checkoutservice", "/Service /productcatalogservice", "/Service /redis-cart",
	}

	t.Run("render", func(t *testing.T) {
		out, errOut, err := runTool(t, shape, nil, "rollspec", "render", ".", "releases")
		if err != nil {
			t.Fatalf("rollspec render: %v\n%s", err, errOut)
		}
		expectFile(t, "boutique/expected/render.yaml", out)
		expectFile(t, "boutique/expected/render-results.txt", errOut)
		rendered := parseStream(t, "render output", out)
		checkProperties(t, "render", rendered)
		checkUntouched(t, input, rendered, untouched...)
		// Rendering the rendered stream again with the same Releases
		// changes nothing.
		again, _ := renderStdin(t, shape, out, "-", "releases")
		if diff := cmp.Diff(out, again); diff != "" {
			t.Errorf("render of its own output (-first +second):\n%s", diff)
		}
	})

	t.Run("kustomize", func(t *testing.T) {
		out, fnOutputs := kustomizeBuild(t, shape)
		expectFile(t, "boutique/expected/kustomize.yaml", out)
		objs := parseStream(t, "kustomize output", out)
		checkProperties(t, "kustomize", objs)
		checkFunctionOutputs(t, fnOutputs, 5)
		// kustomize orders and formats its output its own way; the objects
		// are those render prints.
		rendered, errOut, err := runTool(t, shape, nil, "rollspec", "render", ".", "releases")
		if err != nil {
			t.Fatalf("rollspec render: %v\n%s", err, errOut)
		}
		if diff := cmp.Diff(objectSet(t, parseStream(t, "render output", rendered)), objectSet(t, objs)); diff != "" {
			t.Errorf("kustomize and render disagree (-render +kustomize):\n%s", diff)
		}
	})

	t.Run("kpt", func(t *testing.T) {
		dir := copyPackage(t, shape)
		first := kptRender(t, dir)
		expectTree(t, "boutique/expected/kpt-render", first)
		checkProperties(t, "kpt render", packageObjects(t, first))
		// A file no Release touches stays byte for byte.
		orig, _ := os.ReadFile(filepath.Join(shape, "currencyservice.yaml"))
		if diff := cmp.Diff(string(orig), first["currencyservice.yaml"]); diff != "" {
			t.Errorf("currencyservice.yaml changed (-before +after):\n%s", diff)
		}
		for _, run := range []string{"second", "third"} {
			if diff := cmp.Diff(first, kptRender(t, dir)); diff != "" {
				t.Errorf("the %s render changed the package (-first +%s):\n%s", run, run, diff)
			}
		}

		// The next step: frontend flips to green, the canary moves on.
		editFile(t, filepath.Join(dir, "releases/frontend.yaml"), "active: blue", "active: green")
		editFile(t, filepath.Join(dir, "releases/cartservice.yaml"), "step: 0", "step: 1")
		flipped := kptRender(t, dir)
		expectTree(t, "boutique/expected/kpt-flip", flipped)
		checkProperties(t, "kpt render after the flip", packageObjects(t, flipped))
		if diff := cmp.Diff(flipped, kptRender(t, dir)); diff != "" {
			t.Errorf("a render after the flip changed the package (-first +second):\n%s", diff)
		}
		// The flip on the rendered package gives what the flipped Releases
		// give on the original package.
		fresh := copyPackage(t, shape)
		for _, f := range []string{"releases/frontend.yaml", "releases/cartservice.yaml"} {
			if err := os.WriteFile(filepath.Join(fresh, f), []byte(flipped[f]), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if diff := cmp.Diff(kptRender(t, fresh), flipped); diff != "" {
			t.Errorf("flip on the rendered package (+) differs from a fresh render of the flipped Releases (-):\n%s", diff)
		}
	})
}

// TestRealWorldPodinfoOverlay: a base with an autoscaled Deployment (no
// replicas), a budget, a Service with named ports and an Ingress, under a
// staging overlay (namespace, labels) released by kustomize with
// blue/green + preview and with a canary, and under a production overlay
// (namespace, namePrefix, labels) whose build is piped to rollspec render.
func TestRealWorldPodinfoOverlay(t *testing.T) {
	shape := filepath.Join(realworld, "podinfo")
	for _, strategy := range []string{"bluegreen", "canary"} {
		t.Run("kustomize-staging-"+strategy, func(t *testing.T) {
			overlay := filepath.Join(shape, "overlays", "staging-"+strategy)
			out, fnOutputs := kustomizeBuild(t, overlay)
			expectFile(t, "podinfo/expected/kustomize-staging-"+strategy+".yaml", out)
			objs := parseStream(t, "kustomize output", out)
			checkProperties(t, "kustomize", objs)
			checkFunctionOutputs(t, fnOutputs, 1)
			// The transformer gives what rendering the overlay's plain build
			// gives with the same Release.
			plain, errOut, err := runTool(t, shape, nil, "kustomize", "build", "overlays/staging")
			if err != nil {
				t.Fatalf("kustomize build overlays/staging: %v\n%s", err, errOut)
			}
			piped, _ := renderStdin(t, shape, plain, "-", filepath.Join("overlays", "staging-"+strategy, "release.yaml"))
			if diff := cmp.Diff(objectSet(t, parseStream(t, "render output", piped)), objectSet(t, objs)); diff != "" {
				t.Errorf("the transformer and the piped render disagree (-render +kustomize):\n%s", diff)
			}
		})
		// The production overlay renames podinfo to prod-podinfo before
		// the transformer runs, while the autoscaler still names podinfo
		// (kustomize updates references afterwards): the release must
		// still follow the autoscaler, as the piped render does.
		t.Run("kustomize-prod-"+strategy, func(t *testing.T) {
			out, fnOutputs := kustomizeBuild(t, filepath.Join(shape, "overlays", "prod-"+strategy))
			expectFile(t, "podinfo/expected/kustomize-prod-"+strategy+".yaml", out)
			objs := parseStream(t, "kustomize output", out)
			checkProperties(t, "kustomize", objs)
			checkFunctionOutputs(t, fnOutputs, 1)
			plain, errOut, err := runTool(t, shape, nil, "kustomize", "build", "overlays/prod")
			if err != nil {
				t.Fatalf("kustomize build overlays/prod: %v\n%s", err, errOut)
			}
			piped, _ := renderStdin(t, shape, plain, "-", filepath.Join("pipe", strategy+".yaml"))
			if diff := cmp.Diff(objectSet(t, parseStream(t, "render output", piped)), objectSet(t, objs)); diff != "" {
				t.Errorf("the transformer and the piped render disagree (-render +kustomize):\n%s", diff)
			}
		})
		t.Run("render-prod-"+strategy, func(t *testing.T) {
			plain, errOut, err := runTool(t, shape, nil, "kustomize", "build", "overlays/prod")
			if err != nil {
				t.Fatalf("kustomize build overlays/prod: %v\n%s", err, errOut)
			}
			if !strings.Contains(plain, "name: prod-podinfo\n") {
				t.Fatalf("overlays/prod did not rename podinfo:\n%s", plain)
			}
			out, _ := renderStdin(t, shape, plain, "-", filepath.Join("pipe", strategy+".yaml"))
			expectFile(t, "podinfo/expected/render-prod-"+strategy+".yaml", out)
			checkProperties(t, "render", parseStream(t, "render output", out))
		})
	}
}

// TestRealWorldHelm: the podinfo chart as `helm template web podinfo -n web`
// prints it (Source comments, helm.sh/chart labels, name and instance
// selectors, an autoscaler, a budget, an Ingress, an HTTPRoute, a redis,
// a test hook Pod), released as an autoscaled canary: piped to render, as
// kustomize resources with a transformer, and as the file of a kpt
// package.
func TestRealWorldHelm(t *testing.T) {
	shape := filepath.Join(realworld, "helm")
	chart, err := os.ReadFile(filepath.Join(shape, "podinfo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	input := parseStream(t, "podinfo.yaml", string(chart))

	t.Run("render", func(t *testing.T) {
		out, errOut := renderStdin(t, shape, string(chart), "-", "release.yaml")
		expectFile(t, "helm/expected/render.yaml", out)
		expectFile(t, "helm/expected/render-results.txt", errOut)
		objs := parseStream(t, "render output", out)
		checkProperties(t, "render", objs)
		checkUntouched(t, input, objs,
			"/ConfigMap web/web-podinfo-redis", "/Service web/web-podinfo-redis", "apps/Deployment web/web-podinfo-redis",
			"autoscaling/HorizontalPodAutoscaler web/web-podinfo", "policy/PodDisruptionBudget web/web-podinfo",
			"gateway.networking.k8s.io/HTTPRoute web/web-podinfo", "networking.k8s.io/Ingress web/web-podinfo",
			"/Pod web/web-podinfo-grpc-test-k7x2q", "/Service web/web-podinfo")
		again, _ := renderStdin(t, shape, out, "-", "release.yaml")
		if diff := cmp.Diff(out, again); diff != "" {
			t.Errorf("render of its own output (-first +second):\n%s", diff)
		}
	})

	t.Run("kustomize", func(t *testing.T) {
		out, fnOutputs := kustomizeBuild(t, shape)
		expectFile(t, "helm/expected/kustomize.yaml", out)
		checkProperties(t, "kustomize", parseStream(t, "kustomize output", out))
		checkFunctionOutputs(t, fnOutputs, 1)
	})

	t.Run("kpt", func(t *testing.T) {
		dir := copyPackage(t, shape)
		first := kptRender(t, dir)
		expectTree(t, "helm/expected/kpt-render", first)
		checkProperties(t, "kpt render", packageObjects(t, first))
		for _, run := range []string{"second", "third"} {
			if diff := cmp.Diff(first, kptRender(t, dir)); diff != "" {
				t.Errorf("the %s render changed the package (-first +%s):\n%s", run, run, diff)
			}
		}
		// The next step of the canary, on the rendered package, gives what
		// it gives on the chart's output.
		editFile(t, filepath.Join(dir, "release.yaml"), "step: 0", "step: 1")
		next := kptRender(t, dir)
		expectTree(t, "helm/expected/kpt-step", next)
		checkProperties(t, "kpt render of the next step", packageObjects(t, next))
		fresh := copyPackage(t, shape)
		if err := os.WriteFile(filepath.Join(fresh, "release.yaml"), []byte(next["release.yaml"]), 0o644); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(kptRender(t, fresh), next); diff != "" {
			t.Errorf("the step on the rendered package (+) differs from a fresh render of the stepped Release (-):\n%s", diff)
		}
	})
}
