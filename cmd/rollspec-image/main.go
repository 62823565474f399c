// Command rollspec-image builds the rollspec container image without a
// container engine: one layer per static binary (rollspec, and the
// kustomize and helm the Argo CD sidecar runs), no base image, no shell,
// running as UID 65532. It writes an OCI image layout as
// a tarball (oci-archive), which podman, skopeo and crane load and push.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

func main() {
	var opts options
	pflag.StringVar(&opts.binary, "binary", "bin/rollspec", "the static rollspec binary to put in the image")
	pflag.StringVar(&opts.output, "output", "dist/rollspec-image.tar", "where to write the OCI image tarball")
	pflag.StringVar(&opts.version, "version", "dev", "the version label and the tag in the index annotation")
	pflag.StringVar(&opts.repository, "repository", "localhost/rollspec", "the image repository, for the reference annotation (podman load names the image after it)")
	var tools []string
	pflag.StringArrayVar(&tools, "tool", nil, "NAME=PATH: another static binary for /usr/local/bin/NAME (repeatable); make image adds kustomize and helm")
	pflag.Parse()
	for _, t := range tools {
		name, path, ok := strings.Cut(t, "=")
		if !ok || name == "" || path == "" || strings.Contains(name, "/") {
			fmt.Fprintf(os.Stderr, "rollspec-image: --tool %q: want NAME=PATH\n", t)
			os.Exit(2)
		}
		opts.tools = append(opts.tools, tool{name: name, path: path})
	}
	if err := build(opts); err != nil {
		fmt.Fprintf(os.Stderr, "rollspec-image: %v\n", err)
		os.Exit(1)
	}
}
