// Package fn is the KRM side of rollspec: the Release kind, its strict
// parsing, defaults and validation, the lookup of target resources, and the
// ResourceListProcessor that dispatches each Release to its strategy.
package fn

import (
	"fmt"

	"rollspec.dev/rollspec/strategies"
)

// The Release kind.
const (
	APIVersion = "rollspec.dev/v1alpha1"
	Kind       = "Release"
)

// Annotations rollspec reads.
const (
	// AnnotationLocalConfig marks objects that no apply tool applies.
	AnnotationLocalConfig = "config.kubernetes.io/local-config"
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

// Release is the rollspec.dev/v1alpha1 Release kind.
type Release struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   Metadata        `json:"metadata"`
	Spec       strategies.Spec `json:"spec"`
	source     string          // "functionConfig" or "items[N]", for messages
	origin     releaseOrigin   // where the Release came from
}

// Metadata is the part of ObjectMeta a Release uses.
type Metadata struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// releaseOrigin says where a Release was read from.
type releaseOrigin struct {
	item      int    // index in items, -1 when only the functionConfig
	configMap string // name of the ConfigMap it was built from, if any
}

// ID names the Release in messages: "namespace/name" or "name".
func (r *Release) ID() string {
	if r.Metadata.Namespace != "" {
		return r.Metadata.Namespace + "/" + r.Metadata.Name
	}
	return r.Metadata.Name
}

// describe is the Release as messages name it.
func (r *Release) describe() string {
	if r.origin.configMap != "" {
		return fmt.Sprintf("Release %q (from ConfigMap %q)", r.ID(), r.origin.configMap)
	}
	return fmt.Sprintf("Release %q", r.ID())
}

// DeploymentName is the target Deployment's name: spec.deployment or metadata.name.
func (r *Release) DeploymentName() string {
	if r.Spec.Deployment != "" {
		return r.Spec.Deployment
	}
	return r.Metadata.Name
}

// StrategyName is spec.strategy with its default.
func (r *Release) StrategyName() string {
	if r.Spec.Strategy == "" {
		return strategies.StrategyRolling
	}
	return r.Spec.Strategy
}
