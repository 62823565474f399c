package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"rollspec.dev/rollspec/cmd/rollspec/workflow"
)

// verbAbout is each file verb's --help text.
var verbAbout = map[string]string{
	workflow.VerbStep: `Moves a canary to its next step: spec.canary.step + 1. Past the last step it
fails and says to promote. --to N sets a step instead (0 is the first).`,
	workflow.VerbPromote: `Finishes a release. Canary: moves spec.canary.image (and .version) into
spec.image (spec.version), deletes the canary block and sets strategy rolling.
Blue/green: flips blueGreen.active to the idle colour; refused when the idle
colour runs the active one's image or fewer replicas. With --expect-image,
promotes only a release of that image and does nothing once it is promoted,
so a job that runs twice does not flip a blue/green pair back.`,
	workflow.VerbAbort: `Gives up a canary: deletes the canary block and sets strategy rolling, so the
stable track gets its replicas back. A blue/green pair has no traffic weight
to set to 0 before a flip; after one, rollspec flip goes back.`,
	workflow.VerbFlip: `Blue/green: swaps blueGreen.active. Refused when the spec keeps the idle
colour smaller than the active one (inactiveReplicas): scale it up in a commit
of its own first.`,
	workflow.VerbSetImage: `Starts a release of IMAGE. Rolling and recreate: sets spec.image. Canary:
sets spec.canary.image and goes back to step 0. Blue/green: gives IMAGE to the
idle colour (and brings it to full size when inactiveReplicas is 0).
--canary-steps 10,50 starts a canary on a rolling Release, or restarts the
running one with new steps. A written version label of the old image is
removed, or set with --version.`,
}

// verbCommon is what every file verb prints and edits, after the verb's
// own line.
const verbCommon = `

The Release is edited in place: comments, key order, quoting and every other
document in the file stay byte for byte; the new file replaces the old one by
a rename. PATH is a file or a directory (its *.yaml files); --release chooses
a Release when there are several. The verb prints what it changed and a
suggested commit message (--message-only prints just the message, nothing when
nothing changed).`

// runVerb runs step, promote, abort, flip or set-image.
func runVerb(verb string, args []string, stdout, stderr io.Writer) int {
	var o workflow.Options
	var to int64
	var steps string
	var messageOnly bool
	var flags *pflag.FlagSet
	argsUsage := "PATH"
	if verb == workflow.VerbSetImage {
		argsUsage = "PATH IMAGE"
	}
	err := parse(verb, args, stdout, stderr, argsUsage, verbAbout[verb]+verbCommon, func(fs *pflag.FlagSet) {
		flags = fs
		fs.StringVar(&o.Release, "release", "", "the Release to edit (NAME or NAMESPACE/NAME) when PATH holds several")
		fs.BoolVar(&messageOnly, "message-only", false, "print only the suggested commit message")
		fs.BoolVar(&o.DryRun, "dry-run", false, "print what would change without writing the file")
		switch verb {
		case workflow.VerbStep:
			fs.Int64Var(&to, "to", 0, "set this step (0 is the first) instead of the next one")
		case workflow.VerbPromote:
			fs.StringVar(&o.ExpectImage, "expect-image", "", "promote only a release of this image; nothing to do when it is already promoted")
		case workflow.VerbSetImage:
			fs.StringVar(&o.Version, "version", "", "version label (app.kubernetes.io/version) of IMAGE; default: its tag")
			fs.StringVar(&steps, "canary-steps", "", "start a canary of IMAGE with these weights, such as 10,50")
		}
	}, func(rest []string) error {
		want := 1
		if verb == workflow.VerbSetImage {
			want = 2
		}
		if len(rest) != want {
			fmt.Fprintf(stderr, "rollspec %s: want %s, got %d arguments\n", verb, argsUsage, len(rest))
			return errUsage
		}
		if verb == workflow.VerbStep && flags.Changed("to") {
			o.To = &to
		}
		if verb == workflow.VerbSetImage {
			o.Image = rest[1]
			if steps != "" {
				s, err := workflow.ParseSteps(steps)
				if err != nil {
					return err
				}
				o.CanarySteps = s
			}
		}
		res, err := workflow.Run(verb, rest[0], o)
		if err != nil {
			return err
		}
		printResult(stdout, res, messageOnly, o.DryRun)
		return nil
	})
	return exitCode(err, stderr)
}

func printResult(w io.Writer, res *workflow.Result, messageOnly, dryRun bool) {
	if messageOnly {
		if res.Message != "" {
			fmt.Fprintln(w, res.Message)
		}
		return
	}
	if res.Unchanged != "" {
		fmt.Fprintf(w, "%s (Release %s): unchanged: %s\n", res.File, res.Release, res.Unchanged)
		return
	}
	verb := "edited"
	if dryRun {
		verb = "would edit"
	}
	fmt.Fprintf(w, "%s %s (Release %s):\n", verb, res.File, res.Release)
	for _, c := range res.Changes {
		fmt.Fprintf(w, "  %s\n", c)
	}
	fmt.Fprintf(w, "suggested commit message:\n  %s\n", res.Message)
}

// exitCode maps a command's error to the exit code the shared dispatcher
// uses: 0, 2 for usage, 1 otherwise (with the message on stderr).
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, isHelp(err):
		return 0
	case isUsage(err):
		return 2
	}
	fmt.Fprintf(stderr, "rollspec: %v\n", err)
	return 1
}

func isHelp(err error) bool  { return errors.Is(err, pflag.ErrHelp) }
func isUsage(err error) bool { return errors.Is(err, errUsage) }
