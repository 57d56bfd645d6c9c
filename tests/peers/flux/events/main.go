// flux-events prints a Flux controller event exactly as the controller's event recorder POSTs it
// to notification-controller: fluxcd/pkg/runtime/events.Recorder.AnnotatedEventf
// (runtime v0.100.4 events/recorder.go:162-271) with the metadata helm-controller v1.5.x
// (internal/reconcile/release.go:297-342) or kustomize-controller v1.8.x
// (internal/controller/kustomization_controller.go:1198-1222) attach: keys prefixed with the
// object's API group, plus the object's `event.toolkit.fluxcd.io/*` annotations. Reasons, message
// formats and metadata keys are upstream's; EVENTS.md has the file:line of each.
//
//	flux-events <case> [-namespace podtato-dev] [-name helloservice] [-chart podtato-head]
//	    [-version 0.3.2] [-app-version 0.3.2] [-release 2] [-commit <40 hex>] [-digest <64 hex>]
//	    [-annotate keptn-project=podtato,keptn-stage=dev,keptn-service=helloservice] [-error text]
//	flux-events list
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	helmv2 "github.com/fluxcd/helm-controller/api/v2"
	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	eventv1 "github.com/fluxcd/pkg/apis/event/v1beta1"
	"github.com/fluxcd/pkg/apis/meta"
)

// Not exported by helm-controller (internal/reconcile/release.go:285-293).
const (
	metaOCIDigestKey  = "oci-digest"
	metaAppVersionKey = "app-version"
)

// Message formats, helm-controller v1.5.x internal/reconcile/*.go (unexported there).
const (
	fmtInstallFailure              = "Helm install failed for release %s/%s with chart %s@%s: %s"         // install.go:137
	fmtInstallSuccess              = "Helm install succeeded for release %s with chart %s"                // install.go:139
	fmtUpgradeFailure              = "Helm upgrade failed for release %s/%s with chart %s@%s: %s"         // upgrade.go:128
	fmtUpgradeSuccess              = "Helm upgrade succeeded for release %s with chart %s"                // upgrade.go:130
	fmtTestFailure                 = "Helm test failed for release %s with chart %s: %s"                  // test.go:124
	fmtTestSuccess                 = "Helm test succeeded for release %s with chart %s: %s"               // test.go:126
	fmtRollbackRemediationFailure  = "Helm rollback to previous release %s with chart %s failed: %s"      // rollback_remediation.go:124
	fmtRollbackRemediationSuccess  = "Helm rollback to previous release %s with chart %s succeeded"       // rollback_remediation.go:127
	fmtUninstallRemediationFailure = "Helm uninstall remediation for release %s with chart %s failed: %s" // uninstall_remediation.go:140
	fmtUninstallRemediationSuccess = "Helm uninstall remediation for release %s with chart %s succeeded"  // uninstall_remediation.go:143
)

type opts struct {
	namespace, name, chart, version, appVersion, commit, digest, errText, annotate, timestamp string
	release                                                                                   int
	prevVersion, prevAppVersion                                                               string
}

func (o opts) fullReleaseName(version int) string { // v2.Snapshot.FullReleaseName
	return fmt.Sprintf("%s/%s.v%d", o.namespace, o.name, version)
}
func (o opts) versionedChartName(version string) string { // v2.Snapshot.VersionedChartName
	return fmt.Sprintf("%s@%s", o.chart, version)
}

// configDigest stands in for chartutil.DigestValues(digest.Canonical, values): a `sha256:` digest
// of the values. notification-controller drops it before forwarding (excludeInternalMetadata).
func configDigest(values string) string {
	sum := sha256.Sum256([]byte(values))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func helmMeta(o opts, revision, token, appVersion, ociDigest string) map[string]string {
	key := func(k string) string { return helmv2.GroupVersion.Group + "/" + k } // release.go:340
	m := map[string]string{}
	if revision != "" {
		m[key(eventv1.MetaRevisionKey)] = revision
	}
	if token != "" {
		m[key(eventv1.MetaTokenKey)] = token
	}
	if appVersion != "" {
		m[key(metaAppVersionKey)] = appVersion
	}
	if ociDigest != "" {
		m[key(metaOCIDigestKey)] = ociDigest
	}
	return m
}

func kustomizeMeta(revision, originRevision string, extra map[string]string) map[string]string {
	m := map[string]string{}
	for k, v := range extra {
		m[k] = v
	}
	if revision != "" {
		m[kustomizev1.GroupVersion.Group+"/"+eventv1.MetaRevisionKey] = revision
	}
	if originRevision != "" {
		m[kustomizev1.GroupVersion.Group+"/"+eventv1.MetaOriginRevisionKey] = originRevision
	}
	return m
}

type built struct {
	kind, apiVersion, controller, eventType, reason, message string
	metadata                                                 map[string]string
}

func helm(eventType, reason, message string, metadata map[string]string) built {
	return built{helmv2.HelmReleaseKind, helmv2.GroupVersion.String(), "helm-controller", eventType, reason, message, metadata}
}

func kustomize(severity, reason, message string, metadata map[string]string) built {
	eventType := corev1.EventTypeNormal // kustomization_controller.go:1216-1219
	if severity == eventv1.EventSeverityError {
		eventType = corev1.EventTypeWarning
	}
	return built{kustomizev1.KustomizationKind, kustomizev1.GroupVersion.String(), "kustomize-controller", eventType, reason, message, metadata}
}

var cases = map[string]func(o opts) built{}

func init() {
	values := `{"image":{"tag":"v0.3.3"}}`
	token := configDigest(values)
	// The chart version helm-controller records: the source's version, with `+<12 hex of the OCI
	// digest>` for an OCIRepository (helmrelease_controller.go:903-953) or `+<12 hex of the commit>`
	// from source-controller for a GitRepository chart with reconcileStrategy Revision.
	chartVersion := func(o opts) string { return o.version }
	cases["helm-install-succeeded"] = func(o opts) built { // install.go:195-203
		return helm(corev1.EventTypeNormal, helmv2.InstallSucceededReason,
			fmt.Sprintf(fmtInstallSuccess, o.fullReleaseName(o.release), o.versionedChartName(chartVersion(o))),
			helmMeta(o, chartVersion(o), token, o.appVersion, o.ociDigest()))
	}
	cases["helm-install-failed"] = func(o opts) built { // install.go:152-170
		return helm(corev1.EventTypeWarning, helmv2.InstallFailedReason,
			fmt.Sprintf(fmtInstallFailure, o.namespace, o.name, o.chart, chartVersion(o), o.errText),
			helmMeta(o, chartVersion(o), token, o.appVersion, o.ociDigest()))
	}
	cases["helm-upgrade-succeeded"] = func(o opts) built { // upgrade.go:166-192
		return helm(corev1.EventTypeNormal, helmv2.UpgradeSucceededReason,
			fmt.Sprintf(fmtUpgradeSuccess, o.fullReleaseName(o.release), o.versionedChartName(chartVersion(o))),
			helmMeta(o, chartVersion(o), token, o.appVersion, o.ociDigest()))
	}
	cases["helm-upgrade-failed"] = func(o opts) built { // upgrade.go:142-160 (log lines appended by eventMessageWithLog when Helm logged any)
		return helm(corev1.EventTypeWarning, helmv2.UpgradeFailedReason,
			fmt.Sprintf(fmtUpgradeFailure, o.namespace, o.name, o.chart, chartVersion(o), o.errText),
			helmMeta(o, chartVersion(o), token, o.appVersion, o.ociDigest()))
	}
	cases["helm-test-succeeded"] = func(o opts) built { // test.go:170-190
		return helm(corev1.EventTypeNormal, helmv2.TestSucceededReason,
			fmt.Sprintf(fmtTestSuccess, o.fullReleaseName(o.release), o.versionedChartName(chartVersion(o)), "1 test hook completed successfully"),
			helmMeta(o, chartVersion(o), token, o.appVersion, o.ociDigest()))
	}
	cases["helm-test-failed"] = func(o opts) built { // test.go:135-153
		return helm(corev1.EventTypeWarning, helmv2.TestFailedReason,
			fmt.Sprintf(fmtTestFailure, o.fullReleaseName(o.release), o.versionedChartName(chartVersion(o)), o.errText),
			helmMeta(o, chartVersion(o), token, o.appVersion, o.ociDigest()))
	}
	// Rollback/uninstall remediation carry the PREVIOUS release's chart version and app version
	// (rollback_remediation.go:139-170) but the token of the values that failed.
	cases["helm-rollback-succeeded"] = func(o opts) built {
		return helm(corev1.EventTypeNormal, helmv2.RollbackSucceededReason,
			fmt.Sprintf(fmtRollbackRemediationSuccess, o.fullReleaseName(o.release), o.versionedChartName(o.prevVersion)),
			helmMeta(o, o.prevVersion, token, o.prevAppVersion, ""))
	}
	cases["helm-rollback-failed"] = func(o opts) built {
		return helm(corev1.EventTypeWarning, helmv2.RollbackFailedReason,
			fmt.Sprintf(fmtRollbackRemediationFailure, o.fullReleaseName(o.release), o.versionedChartName(o.prevVersion), o.errText),
			helmMeta(o, o.prevVersion, token, o.prevAppVersion, ""))
	}
	cases["helm-uninstall-remediation-succeeded"] = func(o opts) built { // uninstall_remediation.go:175-190
		return helm(corev1.EventTypeNormal, helmv2.UninstallSucceededReason,
			fmt.Sprintf(fmtUninstallRemediationSuccess, o.fullReleaseName(o.release), o.versionedChartName(chartVersion(o))),
			helmMeta(o, chartVersion(o), token, o.appVersion, o.ociDigest()))
	}
	cases["helm-drift-detected"] = func(o opts) built { // atomic_release.go:439-442 (plain Eventf: no revision metadata)
		return helm(corev1.EventTypeWarning, "DriftDetected",
			fmt.Sprintf("Cluster state of release %s has drifted from the desired state:\n%s", o.fullReleaseName(o.release), "Deployment/"+o.namespace+"/"+o.name+" changed (0 additions, 1 changes, 0 removals)"),
			nil)
	}
	cases["helm-drift-corrected"] = func(o opts) built { // correct_cluster_drift.go:110-114
		return helm(corev1.EventTypeNormal, "DriftCorrected",
			fmt.Sprintf("Cluster state of release %s has been corrected:\n%s", o.fullReleaseName(o.release), "Deployment/"+o.namespace+"/"+o.name+" configured"),
			helmMeta(o, chartVersion(o), token, o.appVersion, o.ociDigest()))
	}
	cases["helm-drift-correction-failed"] = func(o opts) built { // correct_cluster_drift.go:85-109
		return helm(corev1.EventTypeWarning, "DriftCorrectionFailed",
			fmt.Sprintf("Failed to correct cluster state of release %s:\n%s", o.fullReleaseName(o.release), o.errText),
			helmMeta(o, chartVersion(o), token, o.appVersion, o.ociDigest()))
	}
	cases["helm-namespace-check-skipped"] = func(o opts) built { // release.go:179-181 (Flux 2.8+, plain Eventf)
		return helm(corev1.EventTypeWarning, helmv2.NamespaceCheckSkippedReason,
			// internal/inventory/inventory.go:90-94, joined with "; "
			"failed to determine if Widget is namespace scoped, skipping namespace: no matches for kind \"Widget\" in version \"example.com/v1\"", nil)
	}
	cases["helm-inventory-build-failed"] = func(o opts) built { // release.go:160-187 (Flux 2.8+, plain Eventf)
		return helm(corev1.EventTypeWarning, helmv2.InventoryBuildFailedReason,
			fmt.Sprintf("failed to build inventory for %s/%s: %s", o.namespace, o.name, o.errText), nil)
	}
	// unlock.go:103-150: a release left pending-install/upgrade/rollback (controller restarted mid-action)
	// is marked failed; reason "PendingRelease" (no constant upstream) for both outcomes.
	cases["helm-pending-release-unlocked"] = func(o opts) built {
		return helm(corev1.EventTypeNormal, "PendingRelease",
			fmt.Sprintf("Unlocked Helm release %s with chart %s in %s state", o.fullReleaseName(o.release), o.versionedChartName(chartVersion(o)), "pending-upgrade"),
			helmMeta(o, chartVersion(o), token, o.appVersion, o.ociDigest()))
	}
	cases["helm-pending-release-unlock-failed"] = func(o opts) built {
		return helm(corev1.EventTypeWarning, "PendingRelease",
			fmt.Sprintf("Unlock of Helm release %s with chart %s in %s state failed: %s", o.fullReleaseName(o.release), o.versionedChartName(chartVersion(o)), "pending-upgrade", o.errText),
			helmMeta(o, chartVersion(o), token, o.appVersion, o.ociDigest()))
	}
	cases["helm-dependency-not-ready"] = func(o opts) built { // helmrelease_controller.go:259
		return helm(corev1.EventTypeNormal, helmv2.DependencyNotReadyReason,
			fmt.Sprintf("dependency '%s/%s' is not ready", o.namespace, "redis"), nil)
	}
	cases["helm-artifact-failed"] = func(o opts) built { // helmrelease_controller.go:339
		return helm(corev1.EventTypeWarning, helmv2.ArtifactFailedReason, o.errText, nil)
	}
	// kustomize-controller: reason = the Ready condition's reason at the time (kustomization_controller.go:1211-1214).
	cases["kustomize-succeeded"] = func(o opts) built { // kustomization_controller.go:154-164
		return kustomize(eventv1.EventSeverityInfo, meta.ReconciliationSucceededReason,
			"Reconciliation finished in 1.234567s, next run in 10m0s",
			kustomizeMeta("main@sha1:"+o.commit, "", map[string]string{
				kustomizev1.GroupVersion.Group + "/" + eventv1.MetaCommitStatusKey: eventv1.MetaCommitStatusUpdateValue,
			}))
	}
	cases["kustomize-applied"] = func(o opts) built { // kustomization_controller.go:959 (change set, mid-reconcile, Ready reason Progressing)
		return kustomize(eventv1.EventSeverityInfo, meta.ProgressingReason,
			"Deployment/"+o.namespace+"/"+o.name+" configured", kustomizeMeta("main@sha1:"+o.commit, "", nil))
	}
	cases["kustomize-health-check-failed"] = func(o opts) built { // kustomization_controller.go:296-302, Ready reason from :505-512
		return kustomize(eventv1.EventSeverityError, meta.HealthCheckFailedReason,
			"health check failed after 5m0.0s: timeout waiting for: [Deployment/"+o.namespace+"/"+o.name+" status: 'InProgress']",
			kustomizeMeta("main@sha1:"+o.commit, "", nil))
	}
	cases["kustomize-build-failed"] = func(o opts) built {
		return kustomize(eventv1.EventSeverityError, meta.BuildFailedReason,
			"kustomization path not found: stat /tmp/kustomization-1/apps/podtato: no such file or directory",
			kustomizeMeta("main@sha1:"+o.commit, "", nil))
	}
	cases["kustomize-reconciliation-failed"] = func(o opts) built {
		return kustomize(eventv1.EventSeverityError, meta.ReconciliationFailedReason,
			"Deployment/"+o.namespace+"/"+o.name+" dry-run failed: "+o.errText,
			kustomizeMeta("main@sha1:"+o.commit, "", nil))
	}
}

func (o opts) ociDigest() string {
	if o.digest == "" {
		return ""
	}
	return "sha256:" + o.digest
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: flux-events <case>|list [flags]")
		os.Exit(2)
	}
	name := os.Args[1]
	if name == "list" {
		var names []string
		for n := range cases {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Println(strings.Join(names, "\n"))
		return
	}
	build, ok := cases[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown case %q (flux-events list)\n", name)
		os.Exit(2)
	}
	var o opts
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	fs.StringVar(&o.namespace, "namespace", "podtato-dev", "")
	fs.StringVar(&o.name, "name", "helloservice", "")
	fs.StringVar(&o.chart, "chart", "podtato-head", "")
	fs.StringVar(&o.version, "version", "0.3.2", "chart version as helm-controller records it (e.g. 0.3.2+0123456789ab)")
	fs.StringVar(&o.appVersion, "app-version", "0.3.2", "the chart's appVersion")
	fs.StringVar(&o.prevVersion, "prev-version", "0.3.1", "rollback target chart version")
	fs.StringVar(&o.prevAppVersion, "prev-app-version", "0.3.1", "rollback target appVersion")
	fs.IntVar(&o.release, "release", 2, "Helm release version (for rollback: the previous release rolled back to)")
	fs.StringVar(&o.commit, "commit", "2f0a9c3e4b5d6e7f8091a2b3c4d5e6f708192a3b", "git commit (Kustomization)")
	fs.StringVar(&o.digest, "digest", "", "64-hex OCI digest of the chart artifact (oci-digest metadata)")
	fs.StringVar(&o.errText, "error", "context deadline exceeded", "error text of failures")
	fs.StringVar(&o.annotate, "annotate", "keptn-project=podtato,keptn-stage=dev,keptn-service=helloservice", "object annotations event.toolkit.fluxcd.io/<k>=<v>")
	fs.StringVar(&o.timestamp, "timestamp", "", "RFC 3339 (default now)")
	_ = fs.Parse(os.Args[2:])
	b := build(o)

	// fluxcd/pkg/runtime events.Recorder.AnnotatedEventf: object annotations under
	// event.toolkit.fluxcd.io/ join the metadata (recorder.go:173-184); Warning → error severity,
	// Normal → info (recorder.go:273-283); trace events never reach notification-controller.
	metadata := b.metadata
	if o.annotate != "" {
		if metadata == nil {
			metadata = map[string]string{}
		}
		for _, kv := range strings.Split(o.annotate, ",") {
			k, v, _ := strings.Cut(kv, "=")
			metadata[eventv1.Group+"/"+k] = v
		}
	}
	severity := eventv1.EventSeverityInfo
	if b.eventType == corev1.EventTypeWarning {
		severity = eventv1.EventSeverityError
	}
	ts := metav1.Now()
	if o.timestamp != "" {
		t, err := time.Parse(time.RFC3339, o.timestamp)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		ts = metav1.NewTime(t)
	}
	if len(metadata) == 0 {
		metadata = nil
	}
	event := eventv1.Event{
		InvolvedObject: corev1.ObjectReference{ // reference.GetReference(scheme, obj)
			Kind: b.kind, Namespace: o.namespace, Name: o.name, APIVersion: b.apiVersion,
			UID: types.UID("c1a3e5f0-7b9d-4f5e-9a1b-2c3d4e5f6a7b"), ResourceVersion: "48213",
		},
		Severity:            severity,
		Timestamp:           ts,
		Message:             b.message,
		Reason:              b.reason,
		Metadata:            metadata,
		ReportingController: b.controller,
		ReportingInstance:   b.controller + "-7d9f8b6c5-x2x4z",
	}
	out, err := json.Marshal(event)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(out)
}
