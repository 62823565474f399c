//go:build e2e

// Polling helpers for cluster tests that have not moved to the watched
// view (cluster_watch_e2e_test.go) yet. Each call starts a kubectl, so on a
// busy machine they see fewer states: use them to wait for a state that
// stays, never to check a property that must hold at every moment (that
// is what watchNamespace and its checks are for).
package main

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitFor polls ok until it holds or limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// deploymentReady reports whether a Deployment has rolled out completely.
// Counts the API server leaves out (absent at 0) decode as 0.
func deploymentReady(t *testing.T, ns, name string) bool {
	out, err := kubectl(t, "", "get", "deployment", name, "-n", ns, "-o", "json")
	if err != nil {
		return false
	}
	var d struct {
		Metadata struct{ Generation int64 }
		Spec     struct{ Replicas int64 }
		Status   struct {
			ObservedGeneration                           int64
			Replicas, UpdatedReplicas, AvailableReplicas int64
		}
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		// An unreadable answer is not a rolled-out Deployment.
		return false
	}
	return d.Status.ObservedGeneration >= d.Metadata.Generation && d.Status.UpdatedReplicas == d.Spec.Replicas &&
		d.Status.AvailableReplicas == d.Spec.Replicas && d.Status.Replicas == d.Spec.Replicas
}

// endpointPods lists the pods behind a Service's ready endpoints.
func endpointPods(t *testing.T, ns, svc string) ([]string, error) {
	out, err := kubectl(t, "", "get", "endpointslices", "-n", ns, "-l", "kubernetes.io/service-name="+svc, "-o", "json")
	if err != nil {
		return nil, err
	}
	var list struct {
		Items []struct {
			Endpoints []struct {
				Conditions struct{ Ready *bool }
				TargetRef  struct{ Name string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		return nil, err
	}
	var pods []string
	for _, s := range list.Items {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				pods = append(pods, e.TargetRef.Name)
			}
		}
	}
	sort.Strings(pods)
	return pods, nil
}

// podsWith lists the running pods with a label selector.
func podsWith(t *testing.T, ns, selector string) []string {
	t.Helper()
	out := mustKubectl(t, "", "get", "pods", "-n", ns, "-l", selector, "--field-selector", "status.phase=Running", "-o", "jsonpath={range .items[*]}{.metadata.name}{\"\\n\"}{end}")
	pods := strings.Fields(out)
	sort.Strings(pods)
	return pods
}

// rsEvent is one ReplicaSet state read from a watch's line.
type rsEvent struct {
	revision string
	replicas int64
}

// watch streams a kubectl watch's lines to f until stop closes. A jsonpath
// output prints nothing for an absent field: prefer watchNamespace, which
// decodes whole objects.
func watch(t *testing.T, stop chan struct{}, args []string, f func(string)) *sync.WaitGroup {
	t.Helper()
	cmd := exec.Command("kubectl", append([]string{"--kubeconfig", kubeconfig(t)}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			f(sc.Text())
		}
	}()
	go func() {
		<-stop
		_ = cmd.Process.Kill()
	}()
	return &wg
}
