package fn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// SourceKind is the shape of an app directory.
type SourceKind string

// The app shapes the Argo CD plugin renders.
const (
	// SourcePlain is a directory of manifests and Releases, read as
	// `rollspec render DIR` reads it.
	SourcePlain SourceKind = "plain"
	// SourceKustomize is a kustomization: `kustomize build`, then the
	// Releases beside it.
	SourceKustomize SourceKind = "kustomize"
	// SourceHelm is a chart: `helm template`, then the Releases beside
	// it and those the chart renders.
	SourceHelm SourceKind = "helm"
)

// kustomizationFiles are the names kustomize reads in a directory.
var kustomizationFiles = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// DetectSource tells the shape of an app directory. A kustomization wins
// over a Chart.yaml in the same directory, as in Argo CD's own detection
// (the kustomization may inflate the chart itself).
func DetectSource(dir string) SourceKind {
	for _, name := range kustomizationFiles {
		if isFile(filepath.Join(dir, name)) {
			return SourceKustomize
		}
	}
	if isFile(filepath.Join(dir, "Chart.yaml")) {
		return SourceHelm
	}
	return SourcePlain
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// BuildOptions are the inputs of a kustomize or Helm build besides the
// directory. Argo CD passes them as environment variables (see
// BuildOptionsFromEnv).
type BuildOptions struct {
	// Helm is the helm command; "" looks up helm on PATH.
	Helm string
	// Kustomize is the kustomize command; "" looks up kustomize on PATH.
	Kustomize string
	// ReleaseName and Namespace go to helm template.
	ReleaseName, Namespace string
	// KubeVersion and APIVersions tell helm template the cluster's
	// (Capabilities.KubeVersion and .APIVersions in templates).
	KubeVersion, APIVersions string
	// ValuesFiles are helm template -f files, relative to the chart.
	ValuesFiles []string
	// HelmParameters are helm template --set values.
	HelmParameters map[string]string
	// Root bounds the files a values file may name: the repository's
	// checkout. "" means the app directory itself.
	Root string
}

// The parameters of a Helm app, as the Argo CD Application sets them.
const (
	paramValuesFiles    = "values-files"
	paramHelmParameters = "helm-parameters"
)

// BuildOptionsFromEnv reads the build environment Argo CD gives a Config
// Management Plugin: ARGOCD_APP_NAME (the Helm release name),
// ARGOCD_APP_NAMESPACE, KUBE_VERSION, KUBE_API_VERSIONS,
// ARGOCD_APP_SOURCE_PATH (to find the repository root) and the
// Application's values-files and helm-parameters parameters from
// ARGOCD_APP_PARAMETERS, which keeps the map's keys as written
// (PARAM_HELM_PARAMETERS_IMAGE_TAG would not say image.tag or image_tag).
// ROLLSPEC_HELM and ROLLSPEC_KUSTOMIZE name other helm and kustomize
// binaries than the ones on PATH.
func BuildOptionsFromEnv(dir string, getenv func(string) string) (BuildOptions, error) {
	o := BuildOptions{
		Helm:        getenv("ROLLSPEC_HELM"),
		Kustomize:   getenv("ROLLSPEC_KUSTOMIZE"),
		ReleaseName: getenv("ARGOCD_APP_NAME"),
		Namespace:   getenv("ARGOCD_APP_NAMESPACE"),
		KubeVersion: getenv("KUBE_VERSION"),
		APIVersions: getenv("KUBE_API_VERSIONS"),
	}
	if src := filepath.Clean(getenv("ARGOCD_APP_SOURCE_PATH")); src != "." && !filepath.IsAbs(src) && !strings.HasPrefix(src, "..") {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return o, err
		}
		if strings.HasSuffix(abs, string(filepath.Separator)+src) {
			o.Root = strings.TrimSuffix(abs, string(filepath.Separator)+src)
		}
	}
	if raw := getenv("ARGOCD_APP_PARAMETERS"); raw != "" {
		var params []struct {
			Name  string            `json:"name"`
			Array []string          `json:"array"`
			Map   map[string]string `json:"map"`
		}
		if err := json.Unmarshal([]byte(raw), &params); err != nil {
			return o, fmt.Errorf("ARGOCD_APP_PARAMETERS: %v; allowed: the JSON list Argo CD writes", err)
		}
		for _, p := range params {
			switch p.Name {
			case paramValuesFiles:
				o.ValuesFiles = append(o.ValuesFiles, p.Array...)
			case paramHelmParameters:
				o.HelmParameters = p.Map
			}
		}
	}
	return o, nil
}

// Build renders a kustomize or Helm app directory with the real tool and
// returns the objects, followed by the Releases found beside the
// kustomization or chart that the build did not already hold. A plain
// directory is read as render reads it.
func Build(dir string, kind SourceKind, o BuildOptions, errOut io.Writer) ([]*yaml.RNode, error) {
	var argv []string
	var what string
	switch kind {
	case SourcePlain:
		return readArg(dir, nil)
	case SourceKustomize:
		argv = []string{toolOr(o.Kustomize, "kustomize"), "build", dir}
		what = "building the kustomization in " + dir
	case SourceHelm:
		args, err := helmTemplateArgs(dir, o)
		if err != nil {
			return nil, err
		}
		argv = append([]string{toolOr(o.Helm, "helm")}, args...)
		what = "rendering the Helm chart in " + dir
	default:
		return nil, fmt.Errorf("unknown app shape %q; allowed: plain, kustomize, helm", kind)
	}
	out, err := runTool(argv, errOut)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	items, err := readStream(bytes.NewReader(out), "")
	if err != nil {
		return nil, fmt.Errorf("%s: reading the output of %s: %w", what, filepath.Base(argv[0]), err)
	}
	beside, err := releasesBeside(dir, kind, o)
	if err != nil {
		return nil, err
	}
	built := map[string]bool{}
	for _, it := range items {
		if isRelease(it) {
			built[it.GetName()] = true
		}
	}
	for _, r := range beside {
		// A kustomization may list the Release among its resources.
		if !built[r.GetName()] {
			items = append(items, r)
		}
	}
	return items, nil
}

func toolOr(configured, name string) string {
	if configured != "" {
		return configured
	}
	return name
}

// helmTemplateArgs builds the helm template command line.
func helmTemplateArgs(dir string, o BuildOptions) ([]string, error) {
	name := o.ReleaseName
	if name == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, err
		}
		name = filepath.Base(abs)
	}
	// --include-crds: Argo CD applies a chart's CRDs, as its own Helm
	// support does.
	args := []string{"template", name, dir, "--include-crds"}
	if o.Namespace != "" {
		args = append(args, "--namespace", o.Namespace)
	}
	if o.KubeVersion != "" {
		args = append(args, "--kube-version", o.KubeVersion)
	}
	if o.APIVersions != "" {
		args = append(args, "--api-versions", o.APIVersions)
	}
	for _, vf := range o.ValuesFiles {
		p, err := valuesFile(dir, o.Root, vf)
		if err != nil {
			return nil, err
		}
		args = append(args, "--values", p)
	}
	keys := make([]string, 0, len(o.HelmParameters))
	for k := range o.HelmParameters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--set", k+"="+helmSetValue(o.HelmParameters[k]))
	}
	return args, nil
}

// helmSetValue passes a helm-parameters value to helm --set as Argo CD's
// own Helm source does (argo-cd util/helm/cmd.go), so that an Application
// moved to this plugin keeps its meaning: a value in braces is Helm's list
// syntax and goes as written ({a,b} is two items); otherwise --set would
// split the value at its commas, so each comma is escaped, except one the
// user escaped already (x\,y stays x\,y, which Helm reads as "x,y").
func helmSetValue(v string) string {
	if strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}") {
		return v
	}
	var b strings.Builder
	prev := rune(0)
	for _, r := range v {
		if r == ',' && prev != '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

// valuesFile resolves a values file the Application names: relative to
// the chart, and inside the repository (a values file is read by the
// sidecar, which must not hand out its own files).
func valuesFile(dir, root, name string) (string, error) {
	bad := func(why string) error {
		return fmt.Errorf("parameter %s: %q %s; allowed: a path relative to the chart directory, inside the repository", paramValuesFiles, name, why)
	}
	if name == "" || filepath.IsAbs(name) || strings.Contains(name, "://") {
		return "", bad("is not a relative path")
	}
	if root == "" {
		root = dir
	}
	rootAbs, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	p, err := filepath.Abs(filepath.Join(dir, name))
	if err != nil {
		return "", err
	}
	if !within(rootAbs, p) {
		return "", bad("is outside the repository")
	}
	// A symbolic link in the repository may point out of it.
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", bad("does not exist")
	}
	if rootReal, err := filepath.EvalSymlinks(rootAbs); err != nil || !within(rootReal, real) {
		return "", bad("is outside the repository")
	}
	return real, nil
}

// repoBound reports whether a path, its symbolic links resolved, lies in
// the repository root; with root "" (not under Argo CD) every path does.
func repoBound(root string) func(string) bool {
	if root == "" {
		return func(string) bool { return true }
	}
	rootReal, err := realPath(root)
	return func(p string) bool {
		real, rerr := realPath(p)
		return err == nil && rerr == nil && within(rootReal, real)
	}
}

// realPath is p absolute, with symbolic links resolved.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// within reports whether path p lies in directory dir (both absolute).
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// runTool runs a build tool and returns its stdout. Its stderr is passed
// on (warnings) and, on failure, quoted in the error.
func runTool(argv []string, errOut io.Writer) ([]byte, error) {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, fmt.Errorf("%s is not installed: %v; allowed: %s on PATH, or ROLLSPEC_%s naming it (the rollspec image carries both helm and kustomize)", argv[0], err, filepath.Base(argv[0]), strings.ToUpper(filepath.Base(argv[0])))
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Env = toolEnv(os.Environ())
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, strings.TrimSpace(stderr.String()))
	}
	if stderr.Len() > 0 {
		for _, line := range strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n") {
			fmt.Fprintf(errOut, "%s: %s\n", filepath.Base(argv[0]), line)
		}
	}
	return out.Bytes(), nil
}

// toolEnv gives helm writable homes: the sidecar's root file system is
// read-only and HOME may not exist; /tmp is an emptyDir.
func toolEnv(environ []string) []string {
	set := map[string]bool{}
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		set[k] = true
	}
	base := filepath.Join(os.TempDir(), "rollspec-helm")
	for _, kv := range [][2]string{{"HELM_CACHE_HOME", "cache"}, {"HELM_CONFIG_HOME", "config"}, {"HELM_DATA_HOME", "data"}} {
		if !set[kv[0]] {
			environ = append(environ, kv[0]+"="+filepath.Join(base, kv[1]))
		}
	}
	return environ
}

// releasesBeside reads the Releases of an app that the build does not
// print: those in the directory's own YAML files that the build does not
// read (the chart's metadata and values files and kustomization files are
// not manifests and are skipped), and, for a kustomization, those in the
// files its resources name that kustomize drops as local-config. An item
// meant to be a Release that is not one is an error naming its file.
func releasesBeside(dir string, kind SourceKind, o BuildOptions) ([]*yaml.RNode, error) {
	files, err := releaseFiles(dir, kind, o)
	if err != nil {
		return nil, err
	}
	var out []*yaml.RNode
	for _, f := range files {
		var nodes []*yaml.RNode
		if f.built {
			// kustomize has read the file already; parse it again only
			// when it may hold a Release (any of them names a group with
			// rollspec in it), so that a manifest kustomize accepts is
			// never judged a second time.
			b, rerr := os.ReadFile(f.path)
			if rerr != nil {
				return nil, fmt.Errorf("reading %s: %w", f.path, rerr)
			}
			if !bytes.Contains(b, []byte("rollspec")) {
				continue
			}
			nodes, err = readStream(bytes.NewReader(b), f.path)
		} else {
			nodes, err = readFile(f.path)
		}
		if err != nil {
			return nil, err
		}
		releases, err := releasesIn(nodes)
		if err != nil {
			return nil, err
		}
		for _, r := range releases {
			// A Release kustomize keeps is in the build's output already,
			// as the build transformed it.
			if f.built && !droppedByKustomize(r) {
				continue
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// droppedByKustomize reports an object kustomize build leaves out of its
// output: any value of the local-config annotation but "false" (kustomize
// v5.8.2 drops "true", "TRUE" and "yes" alike).
func droppedByKustomize(n *yaml.RNode) bool {
	v, ok := annotation(n, AnnotationLocalConfig)
	return ok && v != "false"
}

// sourceFile is a file that may hold Releases of an app.
type sourceFile struct {
	path string
	// built: the kustomization lists the file, so kustomize build reads it.
	built bool
}

// releaseFiles lists the files that may hold Releases of an app: the YAML
// files of dir, and for a kustomization also the files its resources name,
// in subdirectories and in the local bases and components it names.
func releaseFiles(dir string, kind SourceKind, o BuildOptions) ([]sourceFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading directory %s: %w", dir, err)
	}
	skip := map[string]bool{"Chart.yaml": true, "Chart.lock": true, "requirements.yaml": true}
	for _, n := range kustomizationFiles {
		skip[n] = true
	}
	for _, vf := range o.ValuesFiles {
		skip[filepath.Clean(vf)] = true
	}
	built := map[string]bool{}
	var listed []string
	if kind == SourceKustomize {
		var configs []string
		listed, configs = kustomizationListing(dir, o.Root)
		// Transformer, generator and validator configs are not manifests.
		for _, c := range configs {
			skip[c] = true
		}
		for _, p := range listed {
			built[p] = true
		}
	}
	var out []sourceFile
	seen := map[string]bool{}
	// Under Argo CD a file here may be a link out of the repository,
	// which the plugin's sidecar must not read and quote.
	inRepo := repoBound(o.Root)
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || skip[n] || skippedFiles[n] || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			continue
		}
		if kind == SourceHelm && strings.HasPrefix(n, "values") {
			continue // values.yaml, values-prod.yaml: Helm's, not manifests
		}
		p := filepath.Join(dir, n)
		if !inRepo(p) {
			continue
		}
		seen[p] = true
		out = append(out, sourceFile{path: p, built: built[p]})
	}
	for _, p := range listed {
		if !seen[p] {
			seen[p] = true
			out = append(out, sourceFile{path: p, built: true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}

// kustomizationListing reads the kustomization in dir as kustomize build
// does, for the files that may hold Releases: resources lists the manifest
// files named by resources (and the deprecated bases) of dir's
// kustomization and of the local directories it names there or in
// components, recursively; configs lists the names, within dir, of the
// files its transformers, generators and validators name. Remote and
// missing references are left to kustomize, which reports them, and so,
// when root is known (Argo CD's ARGOCD_APP_SOURCE_PATH), are references
// out of the repository: the plugin's sidecar must not read and quote its
// own files.
func kustomizationListing(dir, root string) (resources, configs []string) {
	inRepo := repoBound(root)
	visited := map[string]bool{}
	var walk func(kdir string, top bool)
	walk = func(kdir string, top bool) {
		abs, err := filepath.Abs(kdir)
		if err != nil || visited[abs] {
			return
		}
		visited[abs] = true
		for _, name := range kustomizationFiles {
			k, err := yaml.ReadFile(filepath.Join(kdir, name))
			if err != nil {
				continue
			}
			for _, field := range []string{"resources", "bases", "components", "transformers", "generators", "validators"} {
				list, err := k.Pipe(yaml.Lookup(field))
				if err != nil || list == nil || list.YNode().Kind != yaml.SequenceNode {
					continue
				}
				for _, e := range list.YNode().Content {
					if e.Kind != yaml.ScalarNode || e.Value == "" || strings.Contains(e.Value, "://") {
						continue
					}
					ref := filepath.Clean(e.Value)
					switch field {
					case "transformers", "generators", "validators":
						if top && !strings.ContainsRune(ref, filepath.Separator) {
							configs = append(configs, ref)
						}
						continue
					}
					p := filepath.Join(kdir, ref)
					st, err := os.Stat(p)
					switch {
					case err != nil || !inRepo(p):
					case st.IsDir():
						walk(p, false)
					case st.Mode().IsRegular() && field != "components":
						resources = append(resources, p)
					}
				}
			}
			break // kustomize refuses a directory with two kustomization files
		}
	}
	walk(dir, true)
	return resources, configs
}
