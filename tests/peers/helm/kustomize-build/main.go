// kustomize-build DIR prints what `kustomize build DIR` (and `kubectl kustomize DIR`) prints: the
// kustomization in DIR built with kustomize's own engine (sigs.k8s.io/kustomize/api/krusty, the
// version pinned in go.mod), as multi-document YAML. Exit 1 when the build fails (a resource that
// does not exist, a bad patch, …), 2 on a usage error. tests/peers/helm.test.ts builds every
// kustomization.yaml in deploy/ with it and decodes the output strictly with kube-decode.
package main

import (
	"fmt"
	"os"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: kustomize-build DIR")
		os.Exit(2)
	}
	// The defaults of `kustomize build`: no plugins, load restricted to the kustomization's root.
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "kustomize-build %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	out, err := resources.AsYaml()
	if err != nil {
		fmt.Fprintf(os.Stderr, "kustomize-build %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	os.Stdout.Write(out)
}
