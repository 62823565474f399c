// Package api is the Release kind, rollspec.dev/v1alpha1: its types, its
// strict decoding with a field path for every error, its defaults and
// validation, its JSON Schema, and the Options the strategies receive.
// Everything a user writes in a Release is read here; the rest of
// rollspec sees plain values.
package api

import (
	"bytes"
	"encoding/json"
	"fmt"

	"rollspec.dev/rollspec/strategies"
)

// The Release kind.
const (
	APIVersion = "rollspec.dev/v1alpha1"
	Group      = "rollspec.dev"
	Kind       = "Release"
)

// AnnotationLocalConfig marks objects that no apply tool applies; a
// Release carries it.
const AnnotationLocalConfig = "config.kubernetes.io/local-config"

// Release is the rollspec.dev/v1alpha1 Release kind.
type Release struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`
}

// Metadata is the part of ObjectMeta a Release uses.
type Metadata struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// ID names the Release in messages: "namespace/name" or "name".
func (r *Release) ID() string {
	if r.Metadata.Namespace != "" {
		return r.Metadata.Namespace + "/" + r.Metadata.Name
	}
	return r.Metadata.Name
}

// TargetName is the target workload's name: spec.target.name,
// spec.deployment or metadata.name.
func (r *Release) TargetName() string {
	if t := r.Spec.Target; t != nil && t.Name != "" {
		return t.Name
	}
	if r.Spec.Deployment != "" {
		return r.Spec.Deployment
	}
	return r.Metadata.Name
}

// TargetKind is the target workload's kind: spec.target.kind, or
// Deployment.
func (r *Release) TargetKind() string {
	if t := r.Spec.Target; t != nil && t.Kind != "" {
		return t.Kind
	}
	return strategies.DefaultKind
}

// TargetPath is the Release field that names the target, for messages:
// spec.target when the Release has one, else spec.deployment (or its
// default, metadata.name).
func (r *Release) TargetPath() string {
	if r.Spec.Target != nil {
		return "spec.target"
	}
	return "spec.deployment"
}

// StrategyName is spec.strategy with its default.
func (r *Release) StrategyName() string {
	if r.Spec.Strategy == "" {
		return strategies.DefaultStrategy
	}
	return r.Spec.Strategy
}

// Strategy is the strategy the Release chose, holding its block's
// options (empty options when the block is absent); nil for a strategy
// that is not registered.
func (r *Release) Strategy() strategies.Strategy {
	reg, ok := strategies.Lookup(r.StrategyName())
	if !ok {
		return nil
	}
	if s, ok := r.Spec.Blocks[reg.Block]; ok && reg.Block != "" {
		return s
	}
	return reg.New()
}

// MarshalJSON writes the spec with its strategy blocks, as it was read.
func (s Spec) MarshalJSON() ([]byte, error) {
	type plain Spec
	b, err := json.Marshal(plain(s))
	if err != nil || len(s.Blocks) == 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for name, block := range s.Blocks {
		if m[name], err = json.Marshal(block); err != nil {
			return nil, fmt.Errorf("spec.%s: %w", name, err)
		}
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads a spec with its strategy blocks, refusing unknown
// fields as Decode does; decoding a Release goes through Decode, which
// also says where every error is.
func (s *Spec) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	var blocks map[string]strategies.Strategy
	for key, raw := range m {
		reg, ok := blockRegistration(key)
		if !ok {
			continue
		}
		delete(m, key)
		if string(raw) == "null" {
			continue
		}
		block := reg.New()
		if err := strictJSON(raw, block); err != nil {
			return fmt.Errorf("spec.%s: %w", key, err)
		}
		if blocks == nil {
			blocks = map[string]strategies.Strategy{}
		}
		blocks[key] = block
	}
	rest, err := json.Marshal(m)
	if err != nil {
		return err
	}
	type plain Spec
	var p plain
	if err := strictJSON(rest, &p); err != nil {
		return err
	}
	p.Blocks = blocks
	*s = Spec(p)
	return nil
}

// strictJSON decodes JSON into v, refusing unknown fields.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
