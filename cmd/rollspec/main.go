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
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

const usage = `rollspec renders Release specs into the manifests that carry out a release.

Usage:
  rollspec < resourcelist.yaml      run as a KRM function (kustomize, kpt)
  rollspec render [DIR|FILE|-]...   print the rendered manifests as a YAML stream
  rollspec plan [DIR|FILE|-]...     show the rollout the controller will perform
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
		err = parse(cmd, args, stderr, "[DIR|FILE|-]...", renderAbout, func(fs *pflag.FlagSet) {
			overrideFlags(fs, &sets, &envParams)
		}, func(rest []string) error {
			overrides, err := overridesFrom(sets, envParams)
			if err != nil {
				return err
			}
			return fn.Render(rest, overrides, stdin, stdout, stderr)
		})
	case "plan":
		var output string
		var sets []string
		var envParams bool
		err = parse(cmd, args, stderr, "[DIR|FILE|-]...", planAbout, func(fs *pflag.FlagSet) {
			fs.StringVarP(&output, "output", "o", "text", "text (a table and a chart per rollout) or svg (the chart as an SVG picture)")
			overrideFlags(fs, &sets, &envParams)
		}, func(rest []string) error {
			if output != "text" && output != "svg" {
				return fmt.Errorf("--output %q: allowed: text, svg", output)
			}
			overrides, err := overridesFrom(sets, envParams)
			if err != nil {
				return err
			}
			plans, err := fn.Plan(rest, overrides, stdin, stderr)
			if err != nil {
				return err
			}
			if output == "svg" {
				fn.WritePlanSVG(stdout, plans)
			} else {
				fn.WritePlanText(stdout, plans)
			}
			return nil
		})
	case "schema":
		err = parse(cmd, args, stderr, "", "Prints the JSON Schema of the Release kind, for editors and CI.", nil, func([]string) error {
			b, err := fn.Schema()
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
		err = parse(cmd, args, stderr, "", "Prints the version.", nil, func([]string) error {
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
	return 1
}

var errUsage = errors.New("usage")

// overrideFlags declares --set and --env-params, shared by render and plan.
func overrideFlags(fs *pflag.FlagSet, sets *[]string, envParams *bool) {
	fs.StringArrayVar(sets, "set", nil, "set a spec field on every Release, as KEY=VALUE (dotted KEY, VALUE read as YAML); repeatable")
	fs.BoolVar(envParams, "env-params", false, "read Argo CD plugin parameters from PARAM_<NAME> and ARGOCD_ENV_<NAME>")
}

// overridesFrom collects the spec overrides of --env-params and --set
// (--set wins).
func overridesFrom(sets []string, envParams bool) (map[string]string, error) {
	overrides := map[string]string{}
	if envParams {
		overrides = fn.OverridesFromEnv(os.Environ())
	}
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--set %q: want KEY=VALUE", s)
		}
		overrides[k] = v
	}
	return overrides, nil
}

var planAbout = `Renders like 'rollspec render' and prints, for each Release, the rollout the
deployment controller will perform: a table of steps (old and new ReplicaSet
sizes, pods in total, pods available) and a chart of the same, computed with
the controller's rules (maxSurge rounds up, maxUnavailable down, 1 unavailable
when both are 0). For blue/green it lists which color each Service selects;
for a canary, the split and its real traffic share.`

var renderAbout = `Reads manifests and Releases (a directory's *.yaml files, skipping kustomization
and Kptfile files; - is a YAML stream on stdin) and prints the rendered stream
without Releases and local-config objects. Warnings go to stderr; on error
nothing is printed to stdout.

Argo CD parameters (--env-params): ` + strings.Join(fn.EnvParamNames(), ", ")

// parse handles a subcommand's flags and --help, then runs it.
func parse(name string, args []string, stderr io.Writer, argsUsage, about string, flags func(*pflag.FlagSet), run func([]string) error) error {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	if flags != nil {
		flags(fs)
	}
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: rollspec %s %s\n\n%s\n", name, argsUsage, about)
		if fs.HasFlags() {
			fmt.Fprintf(stderr, "\nFlags:\n%s", fs.FlagUsages())
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		fmt.Fprintf(stderr, "rollspec %s: %v\n", name, err)
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
