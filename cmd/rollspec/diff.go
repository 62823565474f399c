package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"rollspec.dev/rollspec/cmd/rollspec/workflow"
)

// exitNotJudged is the exit code of diff and status when they cannot
// judge at all (bad arguments, a side that does not render, no cluster):
// 1 and 2 mean verdicts a pipeline acts on.
const exitNotJudged = 3

var diffAbout = `Renders OLD and NEW (each a directory, a file, or git:REV:PATH, the PATH as
seen from the current directory) and judges the move between them. An unsafe
move exits 1 with a named reason for each problem; a safe one exits 0 with a
short summary. Exit 3: the move could not be judged.

Reasons: ` + strings.Join(workflow.Reasons, ", ")

// runDiff is rollspec diff.
func runDiff(args []string, stdout, stderr io.Writer) int {
	var allow, sets []string
	var envParams bool
	var output string
	code := 0
	err := parse("diff", args, stdout, stderr, "OLD NEW", diffAbout, func(fs *pflag.FlagSet) {
		fs.StringArrayVar(&allow, "allow", nil, "accept a reason (the team lives with it); repeatable")
		fs.StringVarP(&output, "output", "o", "text", "text or json")
		overrideFlags(fs, &sets, &envParams)
	}, func(rest []string) error {
		if len(rest) != 2 {
			fmt.Fprintf(stderr, "rollspec diff: want OLD NEW, got %d arguments\n", len(rest))
			return errUsage
		}
		if output != "text" && output != "json" {
			fmt.Fprintf(stderr, "rollspec diff: --output %q: allowed: text, json\n", output)
			return errUsage
		}
		overrides, err := overridesFrom(sets, envParams)
		if err != nil {
			return err
		}
		j, err := workflow.Diff(rest[0], rest[1], overrides.Map(), allow, stderr)
		if err != nil {
			return err
		}
		if j.Unsafe() {
			code = 1
		}
		if output == "json" {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(struct {
				Safe bool `json:"safe"`
				*workflow.Judgement
			}{!j.Unsafe(), j})
		}
		writeJudgement(stdout, j)
		return nil
	})
	return judged(err, code, stderr)
}

func writeJudgement(w io.Writer, j *workflow.Judgement) {
	var blocking, allowed []workflow.Problem
	for _, p := range j.Problems {
		if p.Allowed {
			allowed = append(allowed, p)
		} else {
			blocking = append(blocking, p)
		}
	}
	if len(blocking) > 0 {
		fmt.Fprintf(w, "unsafe move: %d %s\n", len(blocking), plural(len(blocking), "problem"))
		for _, p := range blocking {
			fmt.Fprintf(w, "  %s: %s\n", p.Reason, p.Message)
		}
	} else {
		fmt.Fprintf(w, "safe move: %d %s\n", len(j.Changes), plural(len(j.Changes), "change"))
	}
	for _, p := range allowed {
		fmt.Fprintf(w, "  allowed %s: %s\n", p.Reason, p.Message)
	}
	if len(blocking) > 0 && len(j.Changes) > 0 {
		fmt.Fprintln(w, "changes:")
	}
	for _, c := range j.Changes {
		fmt.Fprintf(w, "  %s\n", c)
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// judged is the exit code of a command that judges (diff, status): its
// verdict's code, 0 for --help, or exitNotJudged with the error on stderr.
func judged(err error, code int, stderr io.Writer) int {
	switch {
	case err == nil:
		return code
	case isHelp(err):
		return 0
	case !isUsage(err):
		fmt.Fprintf(stderr, "rollspec: %v\n", err)
	}
	return exitNotJudged
}
