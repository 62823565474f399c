package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"rollspec.dev/rollspec/fn"
	"rollspec.dev/rollspec/fn/api"
)

// The parameters rollspec takes from outside the Release files: --set
// flags, and the Argo CD plugin's parameters (PARAM_<NAME>) and the
// Application's plugin env (ARGOCD_ENV_<NAME>). They are the CLI's: the
// function's packages take spec fields and values.

// envParams maps the parameter names an Argo CD Config Management Plugin
// passes (PARAM_<NAME> for declared parameters, ARGOCD_ENV_<NAME> for the
// Application's plugin env) to Release spec fields.
var envParams = map[string]string{
	"IMAGE":             "image",
	"TAG":               "tag",
	"VERSION":           "version",
	"REPLICAS":          "replicas",
	"STRATEGY":          "strategy",
	"PAUSED":            "paused",
	"MAX_SURGE":         "rolling.maxSurge",
	"MAX_UNAVAILABLE":   "rolling.maxUnavailable",
	"PROFILE":           "rolling.profile",
	"ACTIVE":            "blueGreen.active",
	"PREVIEW":           "blueGreen.preview",
	"INACTIVE_REPLICAS": "blueGreen.inactiveReplicas",
	"CANARY_IMAGE":      "canary.image",
	"CANARY_WEIGHT":     "canary.weight",
	"CANARY_STEP":       "canary.step",
}

// envParamNames lists the parameter names, sorted, for help texts.
func envParamNames() []string {
	var out []string
	for k := range envParams {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Override is one spec field set from outside the Release files: a --set
// flag or an Argo CD parameter. Source says where it came from, so that an
// error names what the user has to change (PARAM_REPLICAS, not
// spec.replicas, which no file of theirs holds).
type Override struct {
	Field  string // dotted spec path: rolling.maxSurge
	Value  string
	Source string // PARAM_REPLICAS, ARGOCD_ENV_REPLICAS, --set replicas
}

// Overrides apply in order; a later one for the same field wins.
type Overrides []Override

// overridesFromEnv reads ARGOCD_ENV_<NAME> and then PARAM_<NAME> from
// environ (so a declared parameter wins over the Application's env) and
// checks each value. Empty values are skipped: Argo CD passes declared
// parameters the user left empty.
func overridesFromEnv(environ []string) (Overrides, error) {
	var out Overrides
	for _, prefix := range []string{"ARGOCD_ENV_", "PARAM_"} {
		var found Overrides
		for _, kv := range environ {
			k, v, ok := strings.Cut(kv, "=")
			name, has := strings.CutPrefix(k, prefix)
			if !ok || !has || v == "" {
				continue
			}
			if field, known := envParams[name]; known {
				found = append(found, Override{Field: field, Value: v, Source: k})
			}
		}
		// The environment's order is the process's; sorting keeps the
		// first error reported the same on every run.
		sort.Slice(found, func(i, j int) bool { return found[i].Source < found[j].Source })
		if err := found.oneOfEachPair(); err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, out.check()
}

// oneOfEachPair refuses two overrides of equal standing that replace each
// other (PARAM_IMAGE and PARAM_TAG): the environment has no order, so
// neither may quietly win.
func (os Overrides) oneOfEachPair() error {
	by := map[string]Override{}
	for _, o := range os {
		by[o.Field] = o
	}
	for _, o := range os {
		if other, ok := by[fn.ReplacedField(o.Field)]; ok && o.Source < other.Source {
			return fmt.Errorf("%s=%s and %s=%s are both set; spec.%s and spec.%s replace each other; allowed: one of them, the other unset or empty", o.Source, o.Value, other.Source, other.Value, o.Field, other.Field)
		}
	}
	return nil
}

// parseSet reads a --set KEY=VALUE argument.
func parseSet(arg string) (Override, error) {
	k, v, ok := strings.Cut(arg, "=")
	if !ok || k == "" {
		return Override{}, fmt.Errorf("--set %q: want KEY=VALUE, KEY a spec field such as replicas or rolling.maxSurge", arg)
	}
	o := Override{Field: k, Value: v, Source: "--set " + k}
	return o, o.check()
}

// Map is the value of each field, the last override winning. image and
// tag replace each other, so only the later of them is kept: a map has no
// order to tell the function which one won.
func (os Overrides) Map() map[string]string {
	out := make(map[string]string, len(os))
	for _, o := range os {
		delete(out, fn.ReplacedField(o.Field))
		out[o.Field] = o.Value
	}
	return out
}

func (os Overrides) check() error {
	var errs []error
	for _, o := range os {
		if err := o.check(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Explain adds to a render error which overrides set the fields it names,
// or fields inside the mappings it names:
// the parameter checks above catch a bad value on its own, but not one
// that conflicts with the rest of the spec (maxSurge 0 with maxUnavailable
// 0, a canary step past the last step).
func (os Overrides) Explain(err error) error {
	if err == nil || len(os) == 0 {
		return err
	}
	msg := err.Error()
	var notes []string
	seen := map[string]bool{}
	for i := len(os) - 1; i >= 0; i-- { // the one that won
		o := os[i]
		if seen[o.Field] {
			continue
		}
		// The field it replaces lost to it: an earlier tag is not why an
		// error about spec.image happened.
		seen[o.Field], seen[fn.ReplacedField(o.Field)] = true, true
		// The field itself or a mapping that holds it: "spec.rolling:
		// maxSurge and maxUnavailable are both 0" is about both.
		for path := "spec." + o.Field; strings.Contains(path, "."); path = path[:strings.LastIndex(path, ".")] {
			if mentions(msg, path) {
				notes = append(notes, fmt.Sprintf("spec.%s was set by %s=%s", o.Field, o.Source, o.Value))
				break
			}
		}
	}
	if len(notes) == 0 {
		return err
	}
	sort.Strings(notes)
	return fmt.Errorf("%w\n  (%s)", err, strings.Join(notes, "; "))
}

// mentions reports whether msg names the path itself, not merely a longer
// path that starts with it (spec.canary in spec.canary.steps or
// spec.canaryX).
func mentions(msg, path string) bool {
	for i := strings.Index(msg, path); i >= 0; {
		end := i + len(path)
		longer := end < len(msg) && (isPathChar(msg[end]) || msg[end] == '.' && end+1 < len(msg) && isPathChar(msg[end+1]))
		if !longer {
			return true
		}
		next := strings.Index(msg[end:], path)
		if next < 0 {
			return false
		}
		i = end + next
	}
	return false
}

func isPathChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// check rejects a value that would not mean, in a Release file, what it
// says on the command line or in the environment.
func (o Override) check() error {
	f, err := api.LookupField(o.Field)
	if err == nil {
		err = f.CheckValue(o.Value)
	}
	if err != nil {
		return fmt.Errorf("%s=%s: %v", o.Source, o.Value, err)
	}
	return nil
}

// overrideFlags declares --set and --env-params, shared by render and plan.
func overrideFlags(fs *pflag.FlagSet, sets *[]string, envParams *bool) {
	fs.StringArrayVar(sets, "set", nil, "set a spec field on every Release, as KEY=VALUE (dotted KEY, VALUE read as YAML); repeatable")
	fs.BoolVar(envParams, "env-params", false, "read Argo CD plugin parameters from PARAM_<NAME> and ARGOCD_ENV_<NAME>")
}

// overridesFrom collects the spec overrides of --env-params and --set
// (--set wins).
func overridesFrom(sets []string, envParams bool) (Overrides, error) {
	var overrides Overrides
	if envParams {
		var err error
		if overrides, err = overridesFromEnv(os.Environ()); err != nil {
			return nil, err
		}
	}
	for _, s := range sets {
		o, err := parseSet(s)
		if err != nil {
			return nil, err
		}
		overrides = append(overrides, o)
	}
	return overrides, nil
}

// argoParams are the Argo CD parameters, for the plugin's announcement.
func argoParams() []fn.ArgoParam {
	var out []fn.ArgoParam
	for _, name := range envParamNames() {
		out = append(out, fn.ArgoParam{Name: name, Field: envParams[name]})
	}
	return out
}

// argoGenerate renders an app for Argo CD with the Application's
// parameters from environ.
func argoGenerate(dir string, environ []string, out, errOut io.Writer) error {
	overrides, err := overridesFromEnv(environ)
	if err != nil {
		return err
	}
	getenv := func(k string) string {
		for i := len(environ) - 1; i >= 0; i-- {
			if v, ok := strings.CutPrefix(environ[i], k+"="); ok {
				return v
			}
		}
		return ""
	}
	return overrides.Explain(fn.ArgoGenerate(dir, getenv, overrides.Map(), out, errOut))
}
