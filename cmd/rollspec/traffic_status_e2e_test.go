//go:build e2e

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestClusterTrafficStatus: rollspec status compares the live HTTPRoute's
// split with the render on the real API server (with the CRDs' defaults
// filled in): the applied step is healthy, and the route put back as
// written (what a failed route apply or another writer leaves live) is
// not, exit 2.
func TestClusterTrafficStatus(t *testing.T) {
	t.Parallel()
	dir := "../../examples/hexo-traffic"
	files := []string{dir + "/deployment.yaml", dir + "/service.yaml", dir + "/gateway.yaml", dir + "/route.yaml", dir + "/steps/2-canary-5.yaml"}
	ns := "traffic-status-" + runID
	namespace(t, ns)
	stream := inNamespace(render(t, "", files...), ns)
	mustKubectl(t, stream, "apply", "--server-side", "-f", "-")
	trafficWait(t, 90*time.Second, "the step rolled out", func() bool { return trafficReady(t, ns, deploymentNames(t, stream)) })
	status := func(args ...string) (int, string, map[string]string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(toolBin(t), "rollspec"), append([]string{"status", "-", "-o", "json"}, args...)...)
		cmd.Env = workflowEnv(t)
		cmd.Stdin = bytes.NewBufferString(stream)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if exit, ok := err.(*exec.ExitError); ok {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			Objects []struct{ Object, State, Message string }
		}
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("status: exit %d, not JSON: %v\n%s%s", code, err, out.String(), errOut.String())
		}
		states := map[string]string{}
		for _, o := range rep.Objects {
			states[o.Object] = fmt.Sprintf("%s: %s", o.State, o.Message)
		}
		return code, out.String(), states
	}
	route := "HTTPRoute " + ns + "/hexo"
	if code, out, states := status("--wait", "--timeout", "90s"); code != 0 || states[route] != "healthy: present" {
		t.Fatalf("the applied step: exit %d, route %q, want exit 0 and healthy\n%s", code, states[route], out)
	}
	// The route as written, live: requests go by pod count.
	mustKubectl(t, inNamespace(readFile(t, dir+"/route.yaml"), ns), "apply", "--server-side", "--force-conflicts", "-f", "-")
	code, out, states := status()
	// The step renders the A/B rule before the split rule.
	want := "progressing: differs from the render: spec.rules holds 1 rule live, 2 rendered"
	if code != 2 || states[route] != want {
		t.Errorf("the route as written live: exit %d, route %q; want exit 2 and %q\n%s", code, states[route], want, out)
	}
}
