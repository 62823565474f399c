package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOverridesFromEnv(t *testing.T) {
	env := []string{
		"ARGOCD_APP_NAME=hexo",
		"ARGOCD_ENV_IMAGE=nginx:1.27",
		"ARGOCD_ENV_REPLICAS=4",
		"PARAM_REPLICAS=6", // a declared parameter wins over the app's env
		"PARAM_ACTIVE=green",
		"PARAM_CANARY_STEP=", // declared but left empty: not set
		"PARAM_UNKNOWN=x",    // not a rollspec parameter
		"ARGOCD_ENV_MAX_SURGE=25%",
	}
	want := map[string]string{
		"image":            "nginx:1.27",
		"replicas":         "6",
		"blueGreen.active": "green",
		"rolling.maxSurge": "25%",
	}
	got, err := overridesFromEnv(env)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got.Map()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestMapKeepsTheLaterOfImageAndTag: image and tag replace each other, so
// the map the function gets holds only the one given later, whichever it is.
func TestMapKeepsTheLaterOfImageAndTag(t *testing.T) {
	tests := []struct {
		name string
		os   Overrides
		want map[string]string
	}{
		{"tag then image", Overrides{{Field: "tag", Value: "1.0"}, {Field: "image", Value: "nginx:2.0"}}, map[string]string{"image": "nginx:2.0"}},
		{"image then tag", Overrides{{Field: "image", Value: "nginx:2.0"}, {Field: "tag", Value: "1.0"}}, map[string]string{"tag": "1.0"}},
		{"image, tag, image", Overrides{{Field: "image", Value: "a:1"}, {Field: "tag", Value: "1.0"}, {Field: "image", Value: "b:2"}, {Field: "replicas", Value: "3"}}, map[string]string{"image": "b:2", "replicas": "3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.os.Map()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestParameterValues: a value from the environment or --set means what it
// would mean in a Release file read by every YAML reader, or it is an
// error that names where it came from.
func TestParameterValues(t *testing.T) {
	tests := []struct {
		name    string
		env     string // one NAME=VALUE; the same value is also tried as --set
		wantErr string // "" when accepted
	}{
		{"decimal replicas", "PARAM_REPLICAS=10", ""},
		{"zero", "PARAM_REPLICAS=0", ""},
		{"leading zero, octal to YAML 1.1", "PARAM_REPLICAS=010", `PARAM_REPLICAS=010: spec.replicas: "010" is not a decimal integer; allowed: an integer in decimal digits without leading zeros, such as 10`},
		{"hexadecimal", "PARAM_REPLICAS=0x10", `PARAM_REPLICAS=0x10: spec.replicas: "0x10" is not a decimal integer`},
		{"octal 0o", "PARAM_CANARY_STEP=0o1", `PARAM_CANARY_STEP=0o1: spec.canary.step: "0o1" is not a decimal integer`},
		{"underscore", "PARAM_REPLICAS=1_000", `PARAM_REPLICAS=1_000: spec.replicas: "1_000" is not a decimal integer`},
		{"plus sign", "PARAM_REPLICAS=+5", `PARAM_REPLICAS=+5: spec.replicas: "+5" is not a decimal integer`},
		{"float", "PARAM_REPLICAS=5.0", `PARAM_REPLICAS=5.0: spec.replicas: "5.0" is not a decimal integer`},
		{"word", "ARGOCD_ENV_REPLICAS=many", `ARGOCD_ENV_REPLICAS=many: spec.replicas: "many" is not a decimal integer`},
		{"space", "PARAM_INACTIVE_REPLICAS= 5", `PARAM_INACTIVE_REPLICAS= 5: spec.blueGreen.inactiveReplicas: " 5" is not a decimal integer`},
		{"percent", "PARAM_MAX_SURGE=25%", ""},
		{"integer maxSurge", "PARAM_MAX_UNAVAILABLE=0", ""},
		{"octal maxSurge", "PARAM_MAX_SURGE=01", `PARAM_MAX_SURGE=01: spec.rolling.maxSurge: "01" is neither a decimal integer nor a percent`},
		{"hex percent", "PARAM_MAX_SURGE=0x1%", `PARAM_MAX_SURGE=0x1%: spec.rolling.maxSurge: "0x1%" is neither a decimal integer nor a percent`},
		{"image", "PARAM_IMAGE=registry.example.com:5000/team/web:1.2", ""},
		{"image by digest", "PARAM_CANARY_IMAGE=nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", ""},
		{"brace as image", "PARAM_IMAGE={", `PARAM_IMAGE={: spec.image: "{" is not an image reference; allowed: [registry[:port]/]repository[:tag][@digest], the repository in lower case, such as registry.example.com/web:1.2`},
		{"flow list as image", "PARAM_CANARY_IMAGE=[a]", `PARAM_CANARY_IMAGE=[a]: spec.canary.image: "[a]" is not an image reference`},
		{"upper-case repository", "PARAM_IMAGE=Nginx:1.27", `PARAM_IMAGE=Nginx:1.27: spec.image: "Nginx:1.27" is not an image reference`},
		{"empty tag", "PARAM_IMAGE=nginx:", `PARAM_IMAGE=nginx:: spec.image: "nginx:" is not an image reference`},
		{"tag", "PARAM_TAG=1.28", ""},
		{"bad tag", "PARAM_TAG=-rc1", `PARAM_TAG=-rc1: spec.tag: "-rc1" is not an image tag`},
		{"version", "PARAM_VERSION=v1.2.3", ""},
		{"bad version", "PARAM_VERSION=v1 2", `PARAM_VERSION=v1 2: spec.version: "v1 2" is not a valid label value`},
		{"strategy", "PARAM_STRATEGY=blue-green", ""},
		{"bad strategy", "PARAM_STRATEGY=bluegreen", `PARAM_STRATEGY=bluegreen: spec.strategy: "bluegreen" is not one of the choices; allowed: rolling, recreate, blue-green, canary`},
		{"bad color", "PARAM_ACTIVE=purple", `PARAM_ACTIVE=purple: spec.blueGreen.active: "purple" is not one of the choices; allowed: blue, green`},
		{"bad profile", "PARAM_PROFILE=slow", `PARAM_PROFILE=slow: spec.rolling.profile: "slow" is not one of the choices; allowed: surge-first, drain-first, fastest`},
		{"boolean", "PARAM_PAUSED=true", ""},
		{"YAML 1.1 boolean", "PARAM_PREVIEW=yes", `PARAM_PREVIEW=yes: spec.blueGreen.preview: "yes" is not a boolean; allowed: true, false`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := overridesFromEnv([]string{tc.env})
			checkErr(t, err, tc.wantErr)
			// --set field=value: the same check, named after the flag.
			name, value, _ := strings.Cut(tc.env, "=")
			name = strings.TrimPrefix(strings.TrimPrefix(name, "PARAM_"), "ARGOCD_ENV_")
			field := envParams[name]
			_, err = parseSet(field + "=" + value)
			want := tc.wantErr
			if want != "" {
				want = "--set " + field + "=" + strings.SplitN(want, "=", 2)[1]
			}
			checkErr(t, err, want)
		})
	}
}

func TestParseSet(t *testing.T) {
	tests := []struct {
		arg, wantErr string
	}{
		{"canary.steps=[10,25,50]", ""},
		{"canary.steps=[10,025]", `--set canary.steps=[10,025]: spec.canary.steps: "025" is not a decimal integer; allowed: a list of decimal integers such as [10,25,50]`},
		{"services=[web,api]", ""},
		{"shutdown.preStopSleep=5s", ""},
		{"shutdown.gracePeriod=30", ""},
		{"shutdown.gracePeriod=030", `--set shutdown.gracePeriod=030: spec.shutdown.gracePeriod: "030" is not a decimal number of seconds`},
		{"probes.readiness=http:8080/ready", ""},
		{"replica=3", `--set replica=3: spec.replica: unknown field "replica" (did you mean "replicas"?); allowed: `},
		{"rolling.maxSurge.x=1", `--set rolling.maxSurge.x=1: spec.rolling.maxSurge is not a mapping, so spec.rolling.maxSurge.x does not exist`},
		{"replicas", `--set "replicas": want KEY=VALUE`},
		{"=3", `--set "=3": want KEY=VALUE`},
	}
	for _, tc := range tests {
		t.Run(tc.arg, func(t *testing.T) {
			_, err := parseSet(tc.arg)
			checkErr(t, err, tc.wantErr)
		})
	}
}

// checkErr wants no error for "", else an error that starts with want.
func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Errorf("no error, want %q", want)
	case want != "" && !strings.HasPrefix(err.Error(), want):
		t.Errorf("error:\n  %v\nwant it to start with:\n  %s", err, want)
	}
}

func TestExplain(t *testing.T) {
	os := Overrides{
		{Field: "rolling.maxSurge", Value: "1", Source: "ARGOCD_ENV_MAX_SURGE"},
		{Field: "rolling.maxSurge", Value: "0", Source: "PARAM_MAX_SURGE"},
		{Field: "replicas", Value: "3", Source: "PARAM_REPLICAS"},
		{Field: "canary.step", Value: "4", Source: "--set canary.step"},
	}
	err := errors.New(`Release "web": spec.rolling: maxSurge and maxUnavailable are both 0 (spec.rolling.maxSurge, spec.rolling.maxUnavailable)`)
	want := err.Error() + "\n  (spec.rolling.maxSurge was set by PARAM_MAX_SURGE=0)"
	if diff := cmp.Diff(want, os.Explain(err).Error()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A message about the mapping names the fields set inside it.
	err = errors.New(`Release "web": spec.rolling: maxSurge and maxUnavailable are both 0`)
	want = err.Error() + "\n  (spec.rolling.maxSurge was set by PARAM_MAX_SURGE=0)"
	if diff := cmp.Diff(want, os.Explain(err).Error()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// spec.canary.steps is not spec.canary.step.
	other := errors.New(`Release "web": spec.canary.steps: must increase`)
	if got := os.Explain(other); got != other {
		t.Errorf("explained an error about another field: %v", got)
	}
	if os.Explain(nil) != nil {
		t.Error("explained no error")
	}
}

// TestArgoGenerateNamesTheParameter: a bad parameter fails before any
// rendering, naming the variable, with nothing on stdout.
func TestArgoGenerateNamesTheParameter(t *testing.T) {
	var out, errOut strings.Builder
	err := argoGenerate(t.TempDir(), []string{"PARAM_REPLICAS=0x6"}, &out, &errOut)
	if err == nil || !strings.HasPrefix(err.Error(), "PARAM_REPLICAS=0x6: ") || out.Len() != 0 {
		t.Errorf("err %v, stdout %q", err, out.String())
	}
}
