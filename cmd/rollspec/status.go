package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"rollspec.dev/rollspec/fn"
)

// statusHelper is the program that reads the cluster for rollspec status.
// client-go lives there, not here: linked into rollspec it adds to the
// start-up of every render and KRM run (README, "Waiting for a step").
const statusHelper = "rollspec-status"

var statusAbout = `Renders PATH like 'rollspec render' and compares the live objects with the
render: each object present and matching (replicas, selector, pod labels,
images, Service selectors, autoscaler bounds, HTTPRoute backendRefs,
weights and mirrors), each Deployment rolled out
(observedGeneration, updated, ready and available counts, no
ProgressDeadlineExceeded), each Service that selects rendered pods reaching
those pods and no others. It only reads the cluster, with kubectl's kubeconfig
rules.

Exit 0: the current step is healthy. 1: a rollout failed. 2: not healthy
within --timeout (without --wait: not healthy now). 3: no verdict (bad flags,
no cluster, a render error).

The cluster is read by ` + statusHelper + `, installed next to rollspec
(make build, or go install rollspec.dev/rollspec/cmd/` + statusHelper + `).`

// runStatus is rollspec status: it renders here and hands the stream to
// the helper, whose exit code it returns.
func runStatus(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var kubeconfig, kubeContext, namespace, output string
	var wait, envParams bool
	var timeout, interval time.Duration
	var sets []string
	code := 0
	err := parse("status", args, stdout, stderr, "[DIR|FILE|-]...", statusAbout, func(fs *pflag.FlagSet) {
		fs.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)")
		fs.StringVar(&kubeContext, "context", "", "kubeconfig context (default: the current one)")
		fs.StringVarP(&namespace, "namespace", "n", "", "namespace of rendered objects that name none (default: the context's)")
		fs.BoolVar(&wait, "wait", false, "wait until the step is healthy, a rollout fails, or --timeout passes")
		fs.DurationVar(&timeout, "timeout", 10*time.Minute, "how long --wait waits")
		fs.DurationVar(&interval, "interval", 2*time.Second, "how often --wait looks")
		fs.StringVarP(&output, "output", "o", "text", "text or json")
		overrideFlags(fs, &sets, &envParams)
	}, func(rest []string) error {
		if output != "text" && output != "json" {
			fmt.Fprintf(stderr, "rollspec status: --output %q: allowed: text, json\n", output)
			return errUsage
		}
		helper, err := findHelper()
		if err != nil {
			return err
		}
		overrides, err := overridesFrom(sets, envParams)
		if err != nil {
			return err
		}
		var rendered bytes.Buffer
		if err := overrides.Explain(fn.Render(rest, overrides.Map(), stdin, &rendered, stderr)); err != nil {
			return err
		}
		helperArgs := []string{"--timeout", timeout.String(), "--interval", interval.String(), "--output", output}
		for _, f := range [][2]string{{"--kubeconfig", kubeconfig}, {"--context", kubeContext}, {"--namespace", namespace}} {
			if f[1] != "" {
				helperArgs = append(helperArgs, f[0], f[1])
			}
		}
		if wait {
			helperArgs = append(helperArgs, "--wait")
		}
		cmd := exec.Command(helper, helperArgs...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = &rendered, stdout, stderr
		err = cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() >= 0 {
			code = exit.ExitCode()
			return nil
		}
		if err != nil {
			return fmt.Errorf("running %s: %w", helper, err)
		}
		return nil
	})
	return judged(err, code, stderr)
}

// findHelper looks for rollspec-status next to this executable, then on
// PATH.
func findHelper() (string, error) {
	if self, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(self); err == nil {
			self = real
		}
		p := filepath.Join(filepath.Dir(self), statusHelper)
		if info, err := os.Stat(p); err == nil && !info.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath(statusHelper); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found next to rollspec or on PATH; allowed: make build (bin/%s), or go install rollspec.dev/rollspec/cmd/%s", statusHelper, statusHelper, statusHelper)
}
