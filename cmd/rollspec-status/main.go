// Command rollspec-status is the part of `rollspec status` that reads the
// cluster: rollspec renders, then runs it with the rendered stream on
// stdin. It is a binary of its own so that client-go, which adds to
// every process's start-up, is not linked into rollspec, whose KRM and
// render paths run on every build (README, "Waiting for a step").
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"rollspec.dev/rollspec/cmd/rollspec/workflow"
)

// exitNotJudged: no verdict (bad flags, no cluster, unreadable input).
const exitNotJudged = 3

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("rollspec-status", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	var kubeconfig, kubeContext, namespace, output string
	var o workflow.WaitOptions
	fs.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)")
	fs.StringVar(&kubeContext, "context", "", "kubeconfig context (default: the current one)")
	fs.StringVarP(&namespace, "namespace", "n", "", "namespace of rendered objects that name none (default: the context's)")
	fs.BoolVar(&o.Wait, "wait", false, "wait until the step is healthy, a rollout fails, or --timeout passes")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "how long --wait waits")
	fs.DurationVar(&o.Interval, "interval", 2*time.Second, "how often --wait looks")
	fs.StringVarP(&output, "output", "o", "text", "text or json")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: rollspec render ... | rollspec-status [flags]\n\nCompares the live objects with the rendered stream on stdin (rollspec status runs it).\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return exitNotJudged
	}
	if output != "text" && output != "json" {
		fmt.Fprintf(stderr, "rollspec status: --output %q: allowed: text, json\n", output)
		return exitNotJudged
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "rollspec-status reads the rendered stream on stdin and takes no arguments")
		return exitNotJudged
	}
	stream, err := io.ReadAll(stdin)
	if err != nil {
		fmt.Fprintf(stderr, "rollspec status: reading the rendered stream: %v\n", err)
		return exitNotJudged
	}
	c, ns, err := connect(kubeconfig, kubeContext, namespace)
	if err != nil {
		fmt.Fprintf(stderr, "rollspec status: %v\n", err)
		return exitNotJudged
	}
	o.Progress = stderr
	out, err := workflow.Status(ctx, stream, c, ns, o)
	if err != nil {
		fmt.Fprintf(stderr, "rollspec status: %v\n", err)
		return exitNotJudged
	}
	if output == "json" {
		if err := workflow.WriteJSON(stdout, out); err != nil {
			return exitNotJudged
		}
	} else {
		workflow.WriteText(stdout, out)
	}
	return out.ExitCode()
}
