// Package fn is the KRM side of rollspec: it finds each Release's objects
// in a ResourceList (the ownership rule), hands them to the Release's
// strategy, and puts what comes back in the output. The Release kind
// itself is package fn/api; the strategies are package strategies.
package fn

import (
	"fmt"

	"rollspec.dev/rollspec/fn/api"
)

// Annotations rollspec reads.
const (
	// AnnotationLocalConfig marks objects that no apply tool applies.
	AnnotationLocalConfig = api.AnnotationLocalConfig
	// kustomize's record of the names an object had before its built-in
	// transformers (namePrefix, namespace, ...) ran.
	annotationPreviousNames      = "internal.config.kubernetes.io/previousNames"
	annotationPreviousNamespaces = "internal.config.kubernetes.io/previousNamespaces"

	// The file position keys kpt still writes next to the internal ones
	// (kioutil.PathAnnotation, ...); rollspec keeps both in step.
	legacyPathAnnotation  = "config.kubernetes.io/path"
	legacyIndexAnnotation = "config.kubernetes.io/index"
	legacyIDAnnotation    = "config.k8s.io/id"
)

// release is a Release and where it came from.
type release struct {
	*api.Release
	source string        // "functionConfig" or "items[N]", for messages
	origin releaseOrigin // where the Release came from
}

// releaseOrigin says where a Release was read from.
type releaseOrigin struct {
	item      int    // index in items, -1 when only the functionConfig
	configMap string // name of the ConfigMap it was built from, if any
}

// describe is the Release as messages name it.
func (r *release) describe() string {
	if r.origin.configMap != "" {
		return fmt.Sprintf("Release %q (from ConfigMap %q)", r.ID(), r.origin.configMap)
	}
	return fmt.Sprintf("Release %q", r.ID())
}
