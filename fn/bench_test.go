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

// identity is framework.Execute with a processor that changes nothing:
// the floor for any function built on kyaml's framework.
func identityFunction(in []byte, out io.Writer) error {
	p := framework.ResourceListProcessorFunc(func(*framework.ResourceList) error { return nil })
	return framework.Execute(p, &kio.ByteReadWriter{Reader: bytes.NewReader(in), Writer: out, KeepReaderAnnotations: true})
}

// BenchmarkFunction runs rollspec in KRM mode and the identity function on
// the same input, side by side, for every strategy and size.
func BenchmarkFunction(b *testing.B) {
	for _, strategy := range benchinput.Strategies {
		for _, n := range benchSizes {
			if n == 10000 && testing.Short() {
				continue
			}
			in := benchinput.ResourceList(n, strategy)
			for _, impl := range []struct {
				name string
				run  func([]byte, io.Writer) error
			}{
				{"rollspec", func(in []byte, out io.Writer) error { return RunFunction(bytes.NewReader(in), out, io.Discard) }},
				{"identity", identityFunction},
			} {
				b.Run(fmt.Sprintf("%s/apps=%d/%s", strategy, n, impl.name), func(b *testing.B) {
					b.ReportAllocs()
					b.SetBytes(int64(len(in)))
					var out bytes.Buffer
					for i := 0; i < b.N; i++ {
						out.Reset()
						if err := impl.run(in, &out); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkProcess measures the processor alone, on parsed items.
func BenchmarkProcess(b *testing.B) {
	for _, strategy := range benchinput.Strategies {
		for _, n := range benchSizes {
			if n == 10000 && testing.Short() {
				continue
			}
			in := benchinput.ResourceList(n, strategy)
			b.Run(fmt.Sprintf("%s/apps=%d", strategy, n), func(b *testing.B) {
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
