// kube-decode reads multi-document YAML (files, or stdin for none or "-") and decodes every
// object strictly into the upstream Go type of its apiVersion/kind, as the API server would:
//
//   - YAML → JSON with sigs.k8s.io/yaml (YAML 1.1 like kubectl: 0440 is octal; a duplicate key
//     fails), then sigs.k8s.io/json's strict, case-sensitive decoder (the one kube-apiserver uses
//     for fieldValidation=Strict): an unknown field, a duplicate field or a wrong type fails;
//   - the type comes from the Go modules pinned in go.mod: k8s.io/api (every built-in group, via
//     client-go's scheme), Flux (helm-, kustomize-, source-, notification-controller APIs),
//     Argo CD's Application types, prometheus-operator's monitoring.coreos.com/v1 and kustomize's
//     kustomization file (kustomize.config.k8s.io);
//   - an apiVersion/kind none of these knows fails, so nothing slips through unchecked, and so does
//     a built-in API version that Kubernetes no longer serves at the k8s.io/api release pinned here
//     (k8s.io/api keeps e.g. apps/v1beta1 for old clients; its types say when they were removed),
//     and an object without metadata.name (except kustomize's own file, which has none).
//
// It prints one line per object, `OK <where> <apiVersion> <kind> <name> (<Go type>)` or
// `FAIL <where> <apiVersion> <kind> <name>: <reason>`, then `kube-decode: N ok, M failed`, and
// exits 1 when anything failed (2 on a usage or read error).
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"runtime/debug"
	"strings"

	argocdv1alpha1 "github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	helmv2 "github.com/fluxcd/helm-controller/api/v2"
	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	notificationv1 "github.com/fluxcd/notification-controller/api/v1"
	notificationv1beta3 "github.com/fluxcd/notification-controller/api/v1beta3"
	sourcev1 "github.com/fluxcd/source-controller/api/v1"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"
	kustomizetypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"
)

var scheme = runtime.NewScheme()

func init() {
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, // every built-in group of k8s.io/api
		helmv2.AddToScheme,
		kustomizev1.AddToScheme,
		sourcev1.AddToScheme,
		notificationv1.AddToScheme,
		notificationv1beta3.AddToScheme,
		argocdv1alpha1.AddToScheme,
		monitoringv1.AddToScheme,
	} {
		utilruntime.Must(add(scheme))
	}
}

// kustomize's own files are no runtime.Objects and have no metadata.name.
var kustomizeFiles = map[schema.GroupVersionKind]func() any{
	{Group: "kustomize.config.k8s.io", Version: "v1beta1", Kind: "Kustomization"}: func() any { return &kustomizetypes.Kustomization{} },
	{Group: "kustomize.config.k8s.io", Version: "v1alpha1", Kind: "Component"}:    func() any { return &kustomizetypes.Kustomization{} },
}

// kubeRelease is the Kubernetes minor release of the k8s.io/api module built in (v0.37.x → 37).
var kubeRelease = func() int {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			var minor int
			if dep.Path == "k8s.io/api" {
				if _, err := fmt.Sscanf(dep.Version, "v0.%d.", &minor); err == nil {
					return minor
				}
			}
		}
	}
	panic("kube-decode: no k8s.io/api version in the build info")
}()

// removedIn is implemented by the k8s.io/api types of prerelease API versions.
type removedIn interface{ APILifecycleRemoved() (major, minor int) }

type result struct {
	where, apiVersion, kind, name, goType string
	err                                   error
}

// newObject returns an empty value of the Go type for gvk, or an error when none is known.
func newObject(gvk schema.GroupVersionKind) (any, bool, error) {
	if gvk.Kind == "" || gvk.Version == "" {
		return nil, false, errors.New("apiVersion and kind are required")
	}
	if mk, ok := kustomizeFiles[gvk]; ok {
		return mk(), false, nil
	}
	obj, err := scheme.New(gvk)
	if err != nil {
		return nil, false, fmt.Errorf("no Go type known for %s (not in k8s.io/api, Flux, Argo CD, prometheus-operator or kustomize at the pinned versions)", gvk)
	}
	// The scheme also knows option and list kinds (DeleteOptions, WatchEvent, …): manifests hold objects.
	if _, err := meta.Accessor(obj); err != nil {
		return nil, false, fmt.Errorf("%s is not an object kind with metadata (%T)", gvk, obj)
	}
	if r, ok := obj.(removedIn); ok {
		if major, minor := r.APILifecycleRemoved(); major == 1 && minor <= kubeRelease {
			return nil, false, fmt.Errorf("%s is no longer served since Kubernetes %d.%d (this kube-decode knows 1.%d)", gvk, major, minor, kubeRelease)
		}
	}
	return obj, true, nil
}

func decode(where string, doc []byte) result {
	r := result{where: where}
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		r.err = fmt.Errorf("YAML: %w", err)
		return r
	}
	var tm metav1.TypeMeta
	if err := kjson.UnmarshalCaseSensitivePreserveInts(js, &tm); err != nil {
		r.err = fmt.Errorf("not an object: %w", err)
		return r
	}
	r.apiVersion, r.kind = tm.APIVersion, tm.Kind
	var m struct {
		Metadata struct {
			Name         string `json:"name"`
			GenerateName string `json:"generateName"`
			Namespace    string `json:"namespace"`
		} `json:"metadata"`
	}
	_ = kjson.UnmarshalCaseSensitivePreserveInts(js, &m)
	r.name = m.Metadata.Name
	if m.Metadata.Namespace != "" {
		r.name = m.Metadata.Namespace + "/" + r.name
	}
	gv, err := schema.ParseGroupVersion(tm.APIVersion)
	if err != nil {
		r.err = err
		return r
	}
	obj, needsName, err := newObject(gv.WithKind(tm.Kind))
	if err != nil {
		r.err = err
		return r
	}
	t := reflect.TypeOf(obj).Elem()
	r.goType = t.PkgPath() + "." + t.Name()
	strictErrs, err := kjson.UnmarshalStrict(js, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		r.err = err
		return r
	}
	if len(strictErrs) > 0 {
		msgs := make([]string, len(strictErrs))
		for i, e := range strictErrs {
			msgs[i] = e.Error()
		}
		r.err = errors.New(strings.Join(msgs, "; "))
		return r
	}
	if needsName && m.Metadata.Name == "" && m.Metadata.GenerateName == "" {
		r.err = errors.New("metadata.name is empty")
	}
	return r
}

var sourceComment = regexp.MustCompile(`(?m)^# Source: (\S+)`)

// decodeStream decodes every non-empty document of one input.
func decodeStream(name string, in io.Reader) ([]result, error) {
	reader := k8syaml.NewYAMLReader(bufio.NewReader(in))
	var results []result
	for i := 0; ; i++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return results, nil
		}
		if err != nil {
			return results, fmt.Errorf("%s: %w", name, err)
		}
		var probe any
		if err := yaml.Unmarshal(doc, &probe); err == nil && probe == nil {
			continue // empty, or only comments
		}
		where := fmt.Sprintf("%s[%d]", name, i)
		if m := sourceComment.FindSubmatch(doc); m != nil {
			where = fmt.Sprintf("%s[%d](%s)", name, i, m[1])
		}
		results = append(results, decode(where, bytes.TrimSpace(doc)))
	}
}

func main() {
	args := os.Args[1:]
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Println("usage: kube-decode [FILE|-]...  (stdin without arguments)")
		return
	}
	if len(args) == 0 {
		args = []string{"-"}
	}
	ok, failed := 0, 0
	for _, arg := range args {
		var in io.Reader = os.Stdin
		name := "<stdin>"
		if arg != "-" {
			f, err := os.Open(arg)
			if err != nil {
				fmt.Fprintln(os.Stderr, "kube-decode:", err)
				os.Exit(2)
			}
			defer f.Close()
			in, name = f, arg
		}
		results, err := decodeStream(name, in)
		for _, r := range results {
			if r.err != nil {
				failed++
				reason := strings.Join(strings.Fields(r.err.Error()), " ") // one line per object
				fmt.Printf("FAIL %s %s %s %s: %s\n", r.where, r.apiVersion, r.kind, r.name, reason)
			} else {
				ok++
				fmt.Printf("OK %s %s %s %s (%s)\n", r.where, r.apiVersion, r.kind, r.name, r.goType)
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "kube-decode:", err)
			failed++
		}
	}
	fmt.Printf("kube-decode: %d ok, %d failed\n", ok, failed)
	if failed > 0 {
		os.Exit(1)
	}
}
