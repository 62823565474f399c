// Command rollspec-image builds the rollspec container image without a
// container engine: one layer holding the static rollspec binary, no base
// image, no shell, running as UID 65532. It writes an OCI image layout as
// a tarball (oci-archive), which podman, skopeo and crane load and push.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"
)

func main() {
	var opts options
	pflag.StringVar(&opts.binary, "binary", "bin/rollspec", "the static rollspec binary to put in the image")
	pflag.StringVar(&opts.output, "output", "dist/rollspec-image.tar", "where to write the OCI image tarball")
	pflag.StringVar(&opts.version, "version", "dev", "the version label and the tag in the index annotation")
	pflag.StringVar(&opts.repository, "repository", "ghcr.io/rollspec/rollspec", "the image repository, for the reference annotation")
	pflag.Parse()
	if err := build(opts); err != nil {
		fmt.Fprintf(os.Stderr, "rollspec-image: %v\n", err)
		os.Exit(1)
	}
}
