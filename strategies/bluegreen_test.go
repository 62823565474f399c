package strategies

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func node(t *testing.T, s string) *yaml.RNode {
	t.Helper()
	n, err := yaml.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

const bgDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: hexo, namespace: devops}
spec:
  replicas: 2
  selector:
    matchExpressions:
    - {key: app, operator: In, values: [hexo]}
  template:
    metadata:
      labels: {app: hexo}
    spec:
      containers:
      - name: hexo
        image: nginx:v1.0
        ports: [{name: http, containerPort: 80}]
        readinessProbe: {tcpSocket: {port: http}}
        volumeMounts: [{name: data, mountPath: /data}]
      volumes:
      - name: data
        persistentVolumeClaim: {claimName: DATA}
`

const bgService = `apiVersion: v1
kind: Service
metadata: {name: hexo-service, namespace: devops}
spec:
  type: NodePort
  clusterIP: 10.0.0.12
  selector: {app: hexo}
  ports:
  - {name: http, port: 80, targetPort: http, nodePort: 32080}
  - {name: admin, port: 9000, targetPort: 9000, nodePort: 32090}
`

func TestBlueGreenSelectorsAndServices(t *testing.T) {
	tests := []struct {
		name       string
		spec       string
		claim      string            // access mode of the claim the pods mount
		unsteered  string            // selector of another Service in the namespace
		selector   string            // replaces the Deployment's selector
		wantDep    map[string]string // Deployment name -> its selector after rendering
		wantSvc    []string          // Service name: selector
		wantNoPort bool              // preview has no nodePort and no clusterIP
		wantFind   []string          // finding messages (prefixes)
	}{
		{
			name: "matchExpressions selector gains the color in matchLabels",
			spec: "{strategy: blue-green, blueGreen: {active: blue, green: {image: 'nginx:v2.0'}}}",
			wantDep: map[string]string{
				"hexo-blue":  "{matchExpressions: [{key: app, operator: In, values: [hexo]}], matchLabels: {rollspec.dev/color: blue}}",
				"hexo-green": "{matchExpressions: [{key: app, operator: In, values: [hexo]}], matchLabels: {rollspec.dev/color: green}}",
			},
			wantSvc: []string{"hexo-service: {app=hexo,rollspec.dev/color=blue}"},
		},
		{
			name:       "preview of a NodePort Service with several ports",
			spec:       "{strategy: blue-green, blueGreen: {active: green, preview: true}}",
			wantSvc:    []string{"hexo-service: {app=hexo,rollspec.dev/color=green}", "hexo-service-preview: {app=hexo,rollspec.dev/color=blue}"},
			wantNoPort: true,
		},
		{
			name:     "ReadWriteOnce claim",
			spec:     "{strategy: blue-green, blueGreen: {active: blue}}",
			claim:    "ReadWriteOnce",
			wantSvc:  []string{"hexo-service: {app=hexo,rollspec.dev/color=blue}"},
			wantFind: []string{`Deployment "hexo" mounts the ReadWriteOnce PersistentVolumeClaim "DATA", and blue/green runs both colors at once`},
		},
		{
			name:      "an unsteered Service selecting both colors",
			spec:      "{strategy: blue-green, blueGreen: {active: blue}}",
			unsteered: "{app: hexo}",
			wantSvc:   []string{"hexo-service: {app=hexo,rollspec.dev/color=blue}"},
			wantFind:  []string{`Service "metrics" selects pods of both colors (selector {app=hexo}) while it is not steered`},
		},
		{
			name:     "preview of a color scaled to zero",
			spec:     "{strategy: blue-green, blueGreen: {active: blue, preview: true, inactiveReplicas: 0}}",
			wantSvc:  []string{"hexo-service: {app=hexo,rollspec.dev/color=blue}", "hexo-service-preview: {app=hexo,rollspec.dev/color=green}"},
			wantFind: []string{"the preview Services select the green color, which has 0 replicas"},
		},
		{
			name:     "version in the selector",
			spec:     "{strategy: blue-green, blueGreen: {active: blue, blue: {image: 'nginx:v1.1'}}}",
			selector: "{matchLabels: {app: hexo, app.kubernetes.io/version: v1.0}}",
			wantSvc:  []string{"hexo-service: {app=hexo,rollspec.dev/color=blue}"},
			wantFind: []string{`Deployment "hexo-blue" selects on app.kubernetes.io/version, which changes with every release`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dep := node(t, bgDeployment)
			if tc.selector != "" {
				dep = node(t, strings.Replace(bgDeployment, "  selector:\n    matchExpressions:\n    - {key: app, operator: In, values: [hexo]}\n", "  selector: "+tc.selector+"\n", 1))
			}
			tgt := specTarget(t, "hexo", tc.spec, dep)
			tgt.Services, tgt.ServicesListed = []*yaml.RNode{node(t, bgService)}, true
			if tc.claim != "" {
				tgt.Related[kindPVC] = []*yaml.RNode{node(t, "{kind: PersistentVolumeClaim, metadata: {name: DATA}, spec: {accessModes: ["+tc.claim+"]}}")}
			}
			if tc.unsteered != "" {
				tgt.Unsteered = []*yaml.RNode{node(t, "{kind: Service, metadata: {name: metrics}, spec: {selector: "+tc.unsteered+"}}")}
			}
			res := Apply(tgt)
			var found []string
			for _, f := range res.Findings {
				found = append(found, f.Message)
			}
			for _, want := range tc.wantFind {
				ok := false
				for _, f := range found {
					ok = ok || strings.HasPrefix(f, want)
				}
				if !ok {
					t.Errorf("no finding starting with %q in %q", want, found)
				}
			}
			if len(tc.wantFind) == 0 && len(found) > 0 {
				t.Errorf("unexpected findings: %q", found)
			}
			for _, d := range res.Workloads {
				if want, ok := tc.wantDep[Name(d)]; ok {
					sel, _ := d.Pipe(yaml.Lookup("spec", "selector"))
					got, _ := sel.MarshalJSON()
					wantJSON, _ := yaml.MustParse(want).MarshalJSON()
					if diff := cmp.Diff(string(wantJSON), string(got)); diff != "" {
						t.Errorf("%s selector (-want +got):\n%s", Name(d), diff)
					}
				}
				// The pod labels must satisfy the selector, or the API server rejects the Deployment.
				sel, _ := d.Pipe(yaml.Lookup("spec", "selector"))
				if !HasError(res.Findings) && !LabelSelectorMatches(sel.YNode(), PodLabels(d)) {
					t.Errorf("%s: selector does not match its own pod labels", Name(d))
				}
			}
			var svcs []string
			for _, list := range res.Services {
				for _, s := range list {
					svcs = append(svcs, Name(s)+": "+ServiceSelector(s).String())
					if strings.HasSuffix(Name(s), "-preview") && tc.wantNoPort {
						str := s.MustString()
						if strings.Contains(str, "nodePort") || strings.Contains(str, "clusterIP") {
							t.Errorf("preview keeps an allocated field:\n%s", str)
						}
						if strings.Count(str, "port:") != 2 {
							t.Errorf("preview lost ports:\n%s", str)
						}
					}
				}
			}
			if diff := cmp.Diff(tc.wantSvc, svcs); diff != "" {
				t.Errorf("Services (-want +got):\n%s", diff)
			}
		})
	}
}
