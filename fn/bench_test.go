package fn

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"rollspec.dev/rollspec/fn/benchinput"
)

// benchSizes are the app counts of the benchmarks; 10,000 apps run only
// without -short.
var benchSizes = []int{1, 100, 1000, 10000}

// identityFunction is framework.Execute with a processor that changes
// nothing: the floor for any function built on kyaml's framework.
func identityFunction(in []byte, out io.Writer) error {
	p := framework.ResourceListProcessorFunc(func(*framework.ResourceList) error { return nil })
	return framework.Execute(p, &kio.ByteReadWriter{Reader: bytes.NewReader(in), Writer: out, KeepReaderAnnotations: true})
}

// rollspecFunction is rollspec in KRM mode.
func rollspecFunction(in []byte, out io.Writer) error {
	return RunFunction(bytes.NewReader(in), out, io.Discard)
}

// benchRun is one row of BenchmarkFunction: a function on an input.
type benchRun struct {
	name string
	in   []byte
	run  func([]byte, io.Writer) error
}

// benchInputs are the inputs of one size: the apps without Releases, then
// the same apps with the Releases of each strategy.
func benchInputs(n int) (names []string, inputs map[string][]byte) {
	names = append([]string{benchinput.PassThrough}, benchinput.Strategies...)
	inputs = map[string][]byte{}
	for _, s := range names {
		inputs[s] = benchinput.ResourceList(n, s)
	}
	return names, inputs
}

// BenchmarkFunction runs, for each size, side by side in one run: the
// kyaml identity function and rollspec on the apps without Releases (the
// two floors: kyaml's reader and writer, and rollspec's own), then
// rollspec on the same apps with the Releases of each strategy. The
// release logic costs what a strategy's row takes over rollspec's
// pass-through row; names sort so that a size's rows stay together in
// benchstat.
//
//	go test ./fn -run '^$' -bench BenchmarkFunction -benchmem
func BenchmarkFunction(b *testing.B) {
	for _, n := range benchSizes {
		if n == 10000 && testing.Short() {
			continue
		}
		names, inputs := benchInputs(n)
		runs := []benchRun{{"0-identity-" + benchinput.PassThrough, inputs[benchinput.PassThrough], identityFunction}}
		for i, s := range names {
			runs = append(runs, benchRun{fmt.Sprintf("%d-rollspec-%s", i+1, s), inputs[s], rollspecFunction})
		}
		for _, r := range runs {
			b.Run(fmt.Sprintf("apps=%d/%s", n, r.name), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(r.in)))
				var out bytes.Buffer
				for b.Loop() {
					out.Reset()
					if err := r.run(r.in, &out); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkProcess measures the processor alone, on parsed items; the
// pass-through row is the index and the dispatch with no Release to act on.
func BenchmarkProcess(b *testing.B) {
	for _, n := range benchSizes {
		if n == 10000 && testing.Short() {
			continue
		}
		names, inputs := benchInputs(n)
		for _, s := range names {
			in := inputs[s]
			b.Run(fmt.Sprintf("apps=%d/%s", n, s), func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					r := &kio.ByteReader{Reader: bytes.NewReader(in)}
					items, err := r.Read()
					if err != nil {
						b.Fatal(err)
					}
					rl := &framework.ResourceList{Items: items, FunctionConfig: r.FunctionConfig}
					b.StartTimer()
					if err := (Processor{}).Process(rl); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
