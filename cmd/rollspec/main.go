// Command rollspec renders Release specs into Kubernetes manifests. With a
// ResourceList on stdin it is a KRM function (kustomize, kpt); the
// subcommands render files for Argo CD, Flux and CI.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/pflag"

	"rollspec.dev/rollspec/fn"
	"rollspec.dev/rollspec/fn/api"
	"rollspec.dev/rollspec/fn/plan"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

const usage = `rollspec renders Release specs into the manifests that carry out a release.

Usage:
  rollspec < resourcelist.yaml      run as a KRM function (kustomize, kpt)
  rollspec render [DIR|FILE|-]...   print the rendered manifests as a YAML stream
  rollspec plan [DIR|FILE|-]...     show the rollout the controller will perform
  rollspec post-render [FILE]...    Helm post-renderer: chart manifests on stdin
  rollspec argocd discover|parameters|generate [DIR]
                                    the Argo CD plugin's commands
  rollspec schema                   print the JSON Schema of the Release kind
  rollspec step|promote|abort|flip PATH   edit a Release file: the next release step
  rollspec set-image PATH IMAGE     edit a Release file: start a release of IMAGE
  rollspec diff OLD NEW             judge the move between two renders (exit 1 when unsafe)
  rollspec status [PATH]            compare the cluster with the render (--wait: the gate between steps)
  rollspec version                  print the version

Run 'rollspec COMMAND --help' for a command's flags.
`

// gcPercent is the garbage collector's target for this short-lived
// process: rollspec allocates a lot of small yaml nodes that live until
// the output is written, so collecting at every doubling of the heap
// spends a third of the run scanning nodes that are all still alive. A
// higher target trades memory for time; the benchmarks check that the
// peak stays below the kyaml identity function's (docs/PERFORMANCE.md).
// GOGC in the environment still wins.
const gcPercent = 150

// heapPerInputByte bounds the heap of the KRM function relative to its
// input: with gcPercent alone the heap of a large ResourceList overshoots
// what a plain kyaml function needs. The Go runtime collects harder as the
// heap nears the limit (it is a soft limit: a larger live heap still runs).
const (
	heapPerInputByte = 96
	heapBase         = 64 << 20
)

// runFunction is the KRM function with a memory limit sized to the input.
func runFunction(stdin io.Reader, stdout, stderr io.Writer) error {
	b, err := io.ReadAll(stdin)
	if err != nil {
		return fmt.Errorf("reading the ResourceList: %w", err)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(len(b))*heapPerInputByte + heapBase)
	}
	return fn.RunFunction(bytes.NewReader(b), stdout, stderr)
}

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := ""
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "":
		err = runFunction(stdin, stdout, stderr)
	case "render":
		var sets []string
		var envParams bool
		err = parse(cmd, args, stdout, stderr, "[DIR|FILE|-]...", renderAbout, func(fs *pflag.FlagSet) {
			overrideFlags(fs, &sets, &envParams)
		}, func(rest []string) error {
			overrides, err := overridesFrom(sets, envParams)
			if err != nil {
				return err
			}
			return overrides.Explain(fn.Render(rest, overrides.Map(), stdin, stdout, stderr))
		})
	case "post-render":
		var sets []string
		var envParams bool
		err = parse(cmd, args, stdout, stderr, "[RELEASE-FILE|DIR]...", postRenderAbout, func(fs *pflag.FlagSet) {
			overrideFlags(fs, &sets, &envParams)
		}, func(rest []string) error {
			overrides, err := overridesFrom(sets, envParams)
			if err != nil {
				return err
			}
			return overrides.Explain(fn.PostRender(rest, overrides.Map(), stdin, stdout, stderr))
		})
	case "argocd":
		sub := ""
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			sub, args = args[0], args[1:]
		}
		name := "argocd " + sub
		run := map[string]func(dir string) error{
			"discover":   func(dir string) error { return fn.ArgoDiscover(dir, stdout) },
			"parameters": func(dir string) error { return fn.ArgoParameters(dir, argoParams(), stdout) },
			"generate":   func(dir string) error { return argoGenerate(dir, os.Environ(), stdout, stderr) },
		}[sub]
		if run == nil {
			if sub == "" && len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
				fmt.Fprint(stdout, argocdUsage)
				return 0
			}
			if sub == "" {
				fmt.Fprintf(stderr, "rollspec argocd: a command is missing; allowed: discover, parameters, generate\n\n%s", argocdUsage)
			} else {
				fmt.Fprintf(stderr, "rollspec argocd: unknown command %q; allowed: discover, parameters, generate\n\n%s", sub, argocdUsage)
			}
			return 2
		}
		err = parse(name, args, stdout, stderr, "[DIR]", argocdAbout[sub], nil, func(rest []string) error {
			if len(rest) > 1 {
				return fmt.Errorf("rollspec %s takes one directory, got %d arguments", name, len(rest))
			}
			dir := "."
			if len(rest) == 1 {
				dir = rest[0]
			}
			return run(dir)
		})
	case "plan":
		var output string
		var sets []string
		var envParams bool
		var nodes int64
		err = parse(cmd, args, stdout, stderr, "[DIR|FILE|-]...", planAbout, func(fs *pflag.FlagSet) {
			fs.StringVarP(&output, "output", "o", "text", "text (a table and a chart per rollout) or svg (the chart as an SVG picture)")
			fs.Int64Var(&nodes, "nodes", plan.DefaultNodes, "the nodes a DaemonSet runs on, for its plan (a render cannot know the cluster)")
			overrideFlags(fs, &sets, &envParams)
		}, func(rest []string) error {
			if output != "text" && output != "svg" {
				return fmt.Errorf("--output %q: allowed: text, svg", output)
			}
			if nodes < 1 || nodes > plan.MaxNodes {
				return fmt.Errorf("--nodes %d: allowed: 1 to %d", nodes, plan.MaxNodes)
			}
			overrides, err := overridesFrom(sets, envParams)
			if err != nil {
				return err
			}
			plans, err := fn.PlanOnNodes(rest, overrides.Map(), stdin, stderr, nodes)
			if err != nil {
				return overrides.Explain(err)
			}
			if output == "svg" {
				plan.WritePlanSVG(stdout, plans)
			} else {
				plan.WritePlanText(stdout, plans)
			}
			return nil
		})
	case "schema":
		err = parse(cmd, args, stdout, stderr, "", "Prints the JSON Schema of the Release kind, for editors and CI.", nil, func([]string) error {
			b, err := api.Schema()
			if err == nil {
				_, err = stdout.Write(b)
			}
			return err
		})
	case "step", "promote", "abort", "flip", "set-image":
		return runVerb(cmd, args, stdout, stderr)
	case "diff":
		return runDiff(args, stdout, stderr)
	case "status":
		return runStatus(args, stdin, stdout, stderr)
	case "version":
		err = parse(cmd, args, stdout, stderr, "", "Prints the version.", nil, func([]string) error {
			_, err := fmt.Fprintln(stdout, versionString())
			return err
		})
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "rollspec: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, pflag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintf(stderr, "rollspec: %v\n", err)
	if cmd == "post-render" && os.Getenv("HELM_PLUGIN_NAME") != "" && stderr == os.Stderr {
		tellTerminal(err)
	}
	return 1
}

// tellTerminal repeats an error on the controlling terminal, if there is
// one. Helm 4 (4.3.1) discards the stderr of a post-renderer plugin and
// reports only 'plugin "rollspec" exited with error'; in an interactive
// shell the user still learns what to fix. Without a terminal (CI) the
// message is lost: the README says how to see it.
func tellTerminal(err error) {
	tty, oerr := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if oerr != nil {
		return
	}
	defer tty.Close()
	fmt.Fprintf(tty, "rollspec post-render: %v\n", err)
}

var errUsage = errors.New("usage")

var planAbout = `Renders like 'rollspec render' and prints, for each Release, the rollout the
workload's controller will perform: a table of steps (old and new pods, pods in
total, pods available) and a chart of the same, computed with the controller's
rules. A Deployment rolls by ReplicaSets (maxSurge rounds up, maxUnavailable
down, 1 unavailable when both are 0); a StatefulSet replaces its pods in place
from the highest ordinal down to its partition; a DaemonSet replaces them node
by node, planned on --nodes nodes. For blue/green it lists which color each
Service selects; for a canary, the split and its real traffic share.`

const argocdUsage = `The commands of the Argo CD Config Management Plugin (examples/argocd/plugin.yaml).
Argo CD runs each in the app's directory; DIR defaults to it.

Usage:
  rollspec argocd discover [DIR]     print the files that hold a Release (none: not a rollspec app)
  rollspec argocd parameters [DIR]   print the parameters for the UI, with their current values, as JSON
  rollspec argocd generate [DIR]     render the app: plain, kustomize or Helm, then its Releases
`

var argocdAbout = map[string]string{
	"discover": `Prints the files of the app directory that hold a Release, one per line, and
nothing when there is none (Argo CD then uses another tool for the app). The
files are the directory's *.yaml and *.yml files (not kustomization files, a
chart's Chart.yaml and values files), and a chart's templates.`,
	"parameters": `Prints, as JSON, the parameters the Argo CD UI offers for the app, each with
its current value in the app's Releases: ` + strings.ToLower(strings.ReplaceAll(strings.Join(envParamNames(), ", "), "_", "-")) + `.
A Helm app also gets values-files (array) and helm-parameters (map).`,
	"generate": `Renders the app for Argo CD and prints a plain YAML stream:
  a directory with a kustomization    kustomize build, then the Releases beside it
  a directory with a Chart.yaml       helm template, then the Releases beside it and in the chart
  any other directory                 as 'rollspec render DIR'
Parameters: PARAM_<NAME> and ARGOCD_ENV_<NAME> set Release fields (see
'rollspec render --help'); a Helm app reads values-files and helm-parameters
from ARGOCD_APP_PARAMETERS, the release name from ARGOCD_APP_NAME, the
namespace from ARGOCD_APP_NAMESPACE, and KUBE_VERSION and KUBE_API_VERSIONS.
kustomize and helm are looked up on PATH, or named by ROLLSPEC_KUSTOMIZE and
ROLLSPEC_HELM. Helm hooks pass through unchanged. On error nothing is printed
to stdout and the exit code is 1 (an empty stream would make Argo CD prune
the app).`,
}

var postRenderAbout = `A Helm post-renderer: reads the chart's rendered manifests on stdin, applies
the Releases among them (a chart may template its own) and those in the
files and directories given, and prints the result for Helm. Helm hooks come
back unchanged; Helm 4's postrenderer.helm.sh/postrender-filename annotation
is kept (and given to objects generated from nothing); Releases are dropped.
On error nothing is printed and the exit code is 1.

  Helm 3: helm install NAME CHART --post-renderer rollspec \
            --post-renderer-args post-render [--post-renderer-args release.yaml]
  Helm 4: helm plugin install examples/helm/rollspec-plugin
          helm install NAME CHART --post-renderer rollspec [--post-renderer-args release.yaml]`

var renderAbout = `Reads manifests and Releases (a directory's *.yaml files, skipping kustomization
and Kptfile files; - is a YAML stream on stdin) and prints the rendered stream
without Releases and local-config objects. Warnings go to stderr; on error
nothing is printed to stdout.

Argo CD parameters (--env-params): ` + strings.Join(envParamNames(), ", ")

// parse handles a subcommand's flags and --help, then runs it. The help
// that --help asks for goes to stdout (so `rollspec render --help | less`
// works); after a usage error it goes to stderr with the error.
func parse(name string, args []string, stdout, stderr io.Writer, argsUsage, about string, flags func(*pflag.FlagSet), run func([]string) error) error {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	if flags != nil {
		flags(fs)
	}
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: rollspec %s %s\n\n%s\n", name, argsUsage, about)
		if fs.HasFlags() {
			fmt.Fprintf(w, "\nFlags:\n%s", fs.FlagUsages())
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			usage(stdout)
			return err
		}
		fmt.Fprintf(stderr, "rollspec %s: %v\n\n", name, err)
		usage(stderr)
		return errUsage
	}
	if argsUsage == "" && fs.NArg() > 0 {
		fmt.Fprintf(stderr, "rollspec %s takes no arguments\n", name)
		return errUsage
	}
	return run(fs.Args())
}

func versionString() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
