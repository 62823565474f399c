package fn

import (
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
	if diff := cmp.Diff(want, OverridesFromEnv(env)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
