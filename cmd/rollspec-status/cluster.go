package main

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

// cluster reads objects with client-go's dynamic client; kinds map to
// resources through the API server's discovery, so any kind a render
// holds can be looked up. It implements workflow.Cluster, which has no
// method that writes.
type cluster struct {
	dyn    dynamic.Interface
	mapper meta.RESTMapper
}

// connect loads the kubeconfig by kubectl's rules: --kubeconfig, else
// $KUBECONFIG (a list of files, merged), else ~/.kube/config, else the
// in-cluster service account; --context and --namespace override. It
// returns the namespace of the chosen context.
func connect(kubeconfig, kubeContext, namespace string) (*cluster, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: kubeContext}
	overrides.Context.Namespace = namespace
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("loading the kubeconfig: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("reading the namespace of the context: %w", err)
	}
	// A status check reads a few objects every interval: client-go's
	// default of 5 requests a second would make it wait on itself.
	cfg.QPS, cfg.Burst = 50, 100
	cfg.UserAgent = "rollspec-status " + rest.DefaultKubernetesUserAgent()
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, "", err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, "", err
	}
	return &cluster{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))}, ns, nil
}

// resource finds the resource of a kind; ok is false when the cluster does
// not serve the kind (a CRD not installed: nothing of it can exist).
func (c *cluster) resource(apiVersion, kind, namespace string) (dynamic.ResourceInterface, bool, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, false, err
	}
	m, err := c.mapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: kind}, gv.Version)
	if meta.IsNoMatchError(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if m.Scope.Name() == meta.RESTScopeNameRoot {
		return c.dyn.Resource(m.Resource), true, nil
	}
	return c.dyn.Resource(m.Resource).Namespace(namespace), true, nil
}

func (c *cluster) Get(ctx context.Context, apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
	r, ok, err := c.resource(apiVersion, kind, namespace)
	if err != nil || !ok {
		return nil, err
	}
	u, err := r.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return u.Object, nil
}

func (c *cluster) List(ctx context.Context, apiVersion, kind, namespace, selector string) ([]map[string]interface{}, error) {
	r, ok, err := c.resource(apiVersion, kind, namespace)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("the cluster does not serve %s %s", apiVersion, kind)
	}
	l, err := r.List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	out := make([]map[string]interface{}, len(l.Items))
	for i := range l.Items {
		out[i] = l.Items[i].Object
	}
	return out, nil
}
