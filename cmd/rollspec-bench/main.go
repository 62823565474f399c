// Command rollspec-bench is the whole-process comparison behind
// docs/PERFORMANCE.md. On the same generated apps it runs, alternately:
// rollspec as a KRM function, the kyaml identity function (the floor of
// any framework.Execute function), `rollspec render` on the apps as files,
// and real kustomize with the hand-written patches users write today. It
// prints median wall time, peak memory and the ratios.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"rollspec.dev/rollspec/fn/benchinput"
)

func main() {
	var (
		bin      = pflag.String("bin", "bin", "directory with rollspec, krm-identity and kustomize")
		sizes    = pflag.String("apps", "1,100,1000,10000", "app counts")
		kSizes   = pflag.String("kustomize-apps", "100,1000", "app counts for the render and kustomize comparison")
		reps     = pflag.Int("reps", 5, "runs of each command per size (alternating)")
		workdir  = pflag.String("workdir", "", "where to write the inputs (default: a temporary directory)")
		onlyRoll = pflag.Bool("rolling-only", false, "only the rolling strategy")
	)
	pflag.Parse()
	dir := *workdir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "rollspec-bench-"); err != nil {
			fail(err)
		}
		defer os.RemoveAll(dir)
	}
	strategies := benchinput.Strategies
	if *onlyRoll {
		strategies = strategies[:1]
	}
	fmt.Printf("| apps | strategy | command | median | peak RSS | time vs identity | memory vs identity |\n|---:|---|---|---:|---:|---:|---:|\n")
	for _, n := range ints(*sizes) {
		for _, s := range strategies {
			rl := filepath.Join(dir, fmt.Sprintf("rl-%s-%d.yaml", s, n))
			if err := os.WriteFile(rl, benchinput.ResourceList(n, s), 0o644); err != nil {
				fail(err)
			}
			cmds := []command{
				{"identity (kyaml floor)", exec.Command(filepath.Join(*bin, "krm-identity")), rl},
				{"rollspec (KRM)", exec.Command(filepath.Join(*bin, "rollspec")), rl},
			}
			if s == "rolling" && contains(ints(*kSizes), n) {
				files := filepath.Join(dir, fmt.Sprintf("files-%d", n))
				kdir := filepath.Join(dir, fmt.Sprintf("kustomize-%d", n))
				if err := benchinput.WriteFiles(files, n, s); err != nil {
					fail(err)
				}
				if err := benchinput.WriteKustomization(kdir, n); err != nil {
					fail(err)
				}
				cmds = append(cmds,
					command{"rollspec render (files)", exec.Command(filepath.Join(*bin, "rollspec"), "render", files), ""},
					command{"kustomize + patches", exec.Command(filepath.Join(*bin, "kustomize"), "build", kdir), ""},
				)
			}
			results := run(cmds, *reps)
			base := results[0]
			for i, c := range cmds {
				r := results[i]
				fmt.Printf("| %d | %s | %s | %s | %.0f MB | %.2f | %.2f |\n", n, s, c.name, fmtDur(r.median), r.peakMB,
					float64(r.median)/float64(base.median), r.peakMB/base.peakMB)
			}
		}
	}
}

type command struct {
	name  string
	cmd   *exec.Cmd
	stdin string
}

type result struct {
	median time.Duration
	peakMB float64
}

// run runs the commands alternately reps times and returns, per command,
// the median wall time and the highest peak RSS.
func run(cmds []command, reps int) []result {
	times := make([][]time.Duration, len(cmds))
	peaks := make([]float64, len(cmds))
	for rep := 0; rep < reps; rep++ {
		for i, c := range cmds {
			cmd := exec.Command(c.cmd.Path, c.cmd.Args[1:]...)
			if c.stdin != "" {
				f, err := os.Open(c.stdin)
				if err != nil {
					fail(err)
				}
				cmd.Stdin = f
				defer f.Close()
			}
			devnull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			cmd.Stdout = devnull
			var stderr strings.Builder
			cmd.Stderr = &stderr
			start := time.Now()
			err := cmd.Run()
			elapsed := time.Since(start)
			if err != nil {
				fail(fmt.Errorf("%s: %v\n%s", c.name, err, stderr.String()))
			}
			times[i] = append(times[i], elapsed)
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				peaks[i] = max(peaks[i], float64(ru.Maxrss)/1024)
			}
		}
	}
	out := make([]result, len(cmds))
	for i := range cmds {
		sort.Slice(times[i], func(a, b int) bool { return times[i][a] < times[i][b] })
		out[i] = result{median: times[i][len(times[i])/2], peakMB: peaks[i]}
	}
	return out
}

func fmtDur(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func ints(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			fail(fmt.Errorf("not a number: %q", f))
		}
		out = append(out, n)
	}
	return out
}

func contains(s []int, n int) bool {
	for _, x := range s {
		if x == n {
			return true
		}
	}
	return false
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "rollspec-bench:", err)
	os.Exit(1)
}
