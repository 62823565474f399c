//go:build tools

// Package tools pins the Helm CLIs that scripts/install-tools.sh builds.
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
	_ "helm.sh/helm/v4/cmd/helm"
)
