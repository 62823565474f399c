// Command rollspec-bench is the whole-process comparison behind
// docs/PERFORMANCE.md. For each size it runs, on the same generated apps:
// the kyaml identity function and rollspec on the apps without Releases
// (kyaml's floor and rollspec's own), rollspec on the apps with the
// Releases of each strategy, and for the rolling strategy `rollspec
// render` on files and real kustomize with hand-written patches. Each
// command runs once to warm up, then in rounds, each round in a fresh
// random order, so drift and a noisy neighbour spread over all commands
// alike. It prints medians of wall and CPU (user+sys) time, their spread,
// peak memory, and the release logic's cost: per round, a strategy's time
// minus the pass-through's in the same round, then the median of those.
package main

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"rollspec.dev/rollspec/fn/benchinput"
)

func main() {
	var (
		bin     = pflag.String("bin", "bin", "directory with rollspec, krm-identity and kustomize")
		sizes   = pflag.String("apps", "1,100,1000,10000", "app counts")
		kSizes  = pflag.String("kustomize-apps", "100,1000", "app counts for the render and kustomize comparison (rolling)")
		reps    = pflag.Int("reps", 7, "timed rounds per size; each runs every command once, in a random order")
		seed    = pflag.Int64("seed", 0, "seed of the order of each round (default: the time; it is printed)")
		workdir = pflag.String("workdir", "", "where to write the inputs (default: a temporary directory)")
		base    = pflag.String("baseline", "", "another rollspec binary (an earlier commit's) to run on the same inputs, row by row, for a before/after comparison in one run")
	)
	pflag.Parse()
	if *seed == 0 {
		*seed = time.Now().UnixNano()
	}
	rng := rand.New(rand.NewSource(*seed))
	dir := *workdir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "rollspec-bench-"); err != nil {
			fail(err)
		}
		defer os.RemoveAll(dir)
	}
	fmt.Printf("rollspec-bench: %d timed rounds per size after one warm-up run, order shuffled per round (seed %d)\n\n", *reps, *seed)
	type costRow struct {
		apps     int
		strategy string
		wall     time.Duration
		cpu      time.Duration
	}
	var costs []costRow
	var baselines []string
	// The ratios are of CPU time: on a shared machine the wall time of a
	// run moves with the neighbours' load far more than its CPU time.
	fmt.Println("| apps | command | wall median | wall min–max | CPU median | peak RSS | CPU vs identity | CPU vs pass-through |")
	fmt.Println("|---:|---|---:|---:|---:|---:|---:|---:|")
	for _, n := range ints(*sizes) {
		input := func(strategy string) string {
			name := filepath.Join(dir, fmt.Sprintf("rl-%s-%d.yaml", strategy, n))
			if err := os.WriteFile(name, benchinput.ResourceList(n, strategy), 0o644); err != nil {
				fail(err)
			}
			return name
		}
		pass := input(benchinput.PassThrough)
		rollspec, identity := filepath.Join(*bin, "rollspec"), filepath.Join(*bin, "krm-identity")
		cmds := []command{
			{name: "identity (kyaml), no Releases", path: identity, stdin: pass},
			{name: "rollspec, no Releases (pass-through)", path: rollspec, stdin: pass},
		}
		for _, s := range benchinput.Strategies {
			in := input(s)
			cmds = append(cmds, command{name: "rollspec, " + s, strategy: s, path: rollspec, stdin: in})
			if *base != "" {
				cmds = append(cmds, command{name: "baseline rollspec, " + s, path: *base, stdin: in})
			}
		}
		if slices.Contains(ints(*kSizes), n) {
			files := filepath.Join(dir, fmt.Sprintf("files-%d", n))
			kdir := filepath.Join(dir, fmt.Sprintf("kustomize-%d", n))
			if err := benchinput.WriteFiles(files, n, "rolling"); err != nil {
				fail(err)
			}
			if err := benchinput.WriteKustomization(kdir, n); err != nil {
				fail(err)
			}
			cmds = append(cmds,
				command{name: "rollspec render (files), rolling", path: rollspec, args: []string{"render", files}},
				command{name: "kustomize + patches, rolling", path: filepath.Join(*bin, "kustomize"), args: []string{"build", kdir}},
			)
		}
		load := loadavg()
		runs := run(cmds, *reps, rng)
		id, pt := runs[0], runs[1]
		for i, c := range cmds {
			r := runs[i]
			fmt.Printf("| %d | %s | %s | %s–%s | %s | %.0f MB | %.2f | %.2f |\n", n, c.name,
				fmtDur(median(r.wall)), fmtDur(slices.Min(r.wall)), fmtDur(slices.Max(r.wall)), fmtDur(median(r.cpu)), r.peakMB,
				ratio(median(r.cpu), median(id.cpu)), ratio(median(r.cpu), median(pt.cpu)))
			if c.strategy != "" {
				costs = append(costs, costRow{n, c.strategy, median(diff(r.wall, pt.wall)), median(diff(r.cpu, pt.cpu))})
			}
		}
		fmt.Printf("| %d | *load average before → after* | %s → %s | | | | | |\n", n, load, loadavg())
		if *base != "" {
			for i, c := range cmds {
				if c.strategy != "" && i+1 < len(cmds) && strings.HasPrefix(cmds[i+1].name, "baseline ") {
					baselines = append(baselines, fmt.Sprintf("| %d | %s | %s | %s | %.2f |", n, c.strategy,
						fmtDur(median(runs[i+1].cpu)), fmtDur(median(runs[i].cpu)), ratio(median(runs[i].cpu), median(runs[i+1].cpu))))
				}
			}
		}
	}

	if len(baselines) > 0 {
		fmt.Println("\nThis rollspec against the baseline binary, same inputs, same rounds (CPU medians):")
		fmt.Println()
		fmt.Println("| apps | strategy | baseline | this | this / baseline |")
		fmt.Println("|---:|---|---:|---:|---:|")
		for _, b := range baselines {
			fmt.Println(b)
		}
	}
	fmt.Println("\nRelease logic over rollspec's pass-through (per round: strategy minus pass-through; median of the rounds):")
	fmt.Println()
	fmt.Println("| apps | strategy | wall | CPU | CPU per app |")
	fmt.Println("|---:|---|---:|---:|---:|")
	for _, c := range costs {
		fmt.Printf("| %d | %s | %s | %s | %s |\n", c.apps, c.strategy, fmtDur(c.wall), fmtDur(c.cpu), fmtDur(c.cpu/time.Duration(c.apps)))
	}
}

// command is one program on one input.
type command struct {
	name     string
	strategy string // for rollspec on an input with Releases
	path     string
	args     []string
	stdin    string
}

// result holds one command's measurements, one per round.
type result struct {
	wall, cpu []time.Duration
	peakMB    float64
}

// run runs every command once untimed, then reps rounds, each in a fresh
// random order, and returns each command's wall and CPU times and its
// highest peak RSS.
func run(cmds []command, reps int, rng *rand.Rand) []result {
	out := make([]result, len(cmds))
	for i := range cmds {
		once(cmds[i]) // warm-up: page cache, binary, first-run effects
	}
	for range reps {
		for _, i := range rng.Perm(len(cmds)) {
			wall, cpu, peak := once(cmds[i])
			out[i].wall = append(out[i].wall, wall)
			out[i].cpu = append(out[i].cpu, cpu)
			out[i].peakMB = max(out[i].peakMB, peak)
		}
	}
	return out
}

// once runs a command with its output discarded and returns its wall
// time, its CPU time (user+sys) and its peak RSS in MB.
func once(c command) (wall, cpu time.Duration, peakMB float64) {
	cmd := exec.Command(c.path, c.args...)
	if c.stdin != "" {
		f, err := os.Open(c.stdin)
		if err != nil {
			fail(err)
		}
		defer f.Close()
		cmd.Stdin = f
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		fail(err)
	}
	defer devnull.Close()
	cmd.Stdout = devnull
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err = cmd.Run()
	wall = time.Since(start)
	if err != nil {
		fail(fmt.Errorf("%s: %v\n%s", c.name, err, stderr.String()))
	}
	cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		peakMB = float64(ru.Maxrss) / 1024
	}
	return wall, cpu, peakMB
}

// diff is a[i]-b[i]: the two commands ran in the same round.
func diff(a, b []time.Duration) []time.Duration {
	out := make([]time.Duration, len(a))
	for i := range a {
		out[i] = a[i] - b[i]
	}
	return out
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

// loadavg is the one-minute load average, to show how busy the machine was.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

func fmtDur(d time.Duration) string {
	switch a := max(d, -d); {
	case a < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d.Nanoseconds())/1e3)
	case a < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
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

func fail(err error) {
	fmt.Fprintln(os.Stderr, "rollspec-bench:", err)
	os.Exit(1)
}
