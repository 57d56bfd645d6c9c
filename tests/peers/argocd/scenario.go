package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/health"
	synccommon "github.com/argoproj/argo-cd/gitops-engine/v3/pkg/sync/common"
	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// The scenario: four rollouts of the shipped example Application, each a sequence of the states
// Argo CD's application controller persists (see README.md for which Argo CD lines they cover).
// Every step advances a logical clock by at least one second, so sync operations have distinct
// startedAt times, as they do in a cluster.

const (
	image = "ghcr.io/podtato-head/podtato-server"
	rev1  = "3c0ffee5a1d2b3c4d5e6f708192a3b4c5d6e7f80" // rollout 1 and 2 (same git revision)
	rev2  = "4d1ffee5a1d2b3c4d5e6f708192a3b4c5d6e7f81" // rollout 3 (sync fails)
	rev3  = "5e2ffee5a1d2b3c4d5e6f708192a3b4c5d6e7f82" // rollout 4 (degrades)
)

type step struct {
	name, description string
	change            func(app *v1alpha1.Application, now metav1.Time) error
}

var steps = []step{
	{"r1-running", "rollout 1 (v0.3.2 at rev1): the refresh saw OutOfSync, auto-sync started; old pods Healthy", func(a *v1alpha1.Application, now metav1.Time) error {
		if err := setValues(a, "v0.3.2", nil); err != nil {
			return err
		}
		refresh(a, now, rev1, v1alpha1.SyncStatusCodeOutOfSync)
		setHealth(a, health.HealthStatusHealthy, "", "v0.3.1")
		startSync(a, now, rev1)
		return nil
	}},
	{"r1-stale-healthy", "rollout 1: sync Succeeded in the second of that refresh; status still OutOfSync, Healthy from the old pods (argo-cd #9070)", func(a *v1alpha1.Application, now metav1.Time) error {
		finishSync(a, now, synccommon.OperationSucceeded, "successfully synced (all tasks run)", synccommon.ResultCodeSynced)
		a.Status.ReconciledAt = a.Status.OperationState.FinishedAt.DeepCopy() // same second: passes the controller's gate
		return nil
	}},
	{"r1-progressing", "rollout 1: post-sync refresh: Synced to rev1, Progressing", func(a *v1alpha1.Application, now metav1.Time) error {
		refresh(a, now, rev1, v1alpha1.SyncStatusCodeSynced)
		setHealth(a, health.HealthStatusProgressing, "Waiting for rollout to finish: 1 old replicas are pending termination...", "v0.3.1", "v0.3.2")
		return nil
	}},
	{"r1-healthy", "rollout 1: the Deployment is rolled out: Healthy", func(a *v1alpha1.Application, now metav1.Time) error {
		setHealth(a, health.HealthStatusHealthy, "", "v0.3.2")
		return nil
	}},
	{"r1-refreshed", "rollout 1: periodic refresh, nothing changed", func(a *v1alpha1.Application, now metav1.Time) error {
		a.Status.ReconciledAt = now.DeepCopy()
		return nil
	}},
	{"r2-running", "rollout 2 (v0.3.3, same rev1): valuesObject and parameters changed, synced before a refresh compared the new source", func(a *v1alpha1.Application, now metav1.Time) error {
		if err := setValues(a, "v0.3.3", []v1alpha1.HelmParameter{{Name: "replicaCount", Value: "2"}}); err != nil {
			return err
		}
		startSync(a, now, rev1)
		return nil
	}},
	{"r2-stale-healthy", "rollout 2: sync Succeeded; status still Synced to rev1 but compared with the old source, Healthy from the old pods", func(a *v1alpha1.Application, now metav1.Time) error {
		finishSync(a, now, synccommon.OperationSucceeded, "successfully synced (all tasks run)", synccommon.ResultCodeSynced)
		a.Status.ReconciledAt = a.Status.OperationState.FinishedAt.DeepCopy()
		return nil
	}},
	{"r2-progressing", "rollout 2: post-sync refresh: Synced to rev1 and the new source, Progressing", func(a *v1alpha1.Application, now metav1.Time) error {
		refresh(a, now, rev1, v1alpha1.SyncStatusCodeSynced)
		setHealth(a, health.HealthStatusProgressing, "Waiting for rollout to finish: 1 old replicas are pending termination...", "v0.3.2", "v0.3.3")
		return nil
	}},
	{"r2-healthy", "rollout 2: Healthy", func(a *v1alpha1.Application, now metav1.Time) error {
		setHealth(a, health.HealthStatusHealthy, "", "v0.3.3")
		return nil
	}},
	{"r2-refreshed", "rollout 2: periodic refresh, nothing changed", func(a *v1alpha1.Application, now metav1.Time) error {
		a.Status.ReconciledAt = now.DeepCopy()
		return nil
	}},
	{"r3-running", "rollout 3 (rev2): OutOfSync, auto-sync started", func(a *v1alpha1.Application, now metav1.Time) error {
		refresh(a, now, rev2, v1alpha1.SyncStatusCodeOutOfSync)
		startSync(a, now, rev2)
		return nil
	}},
	{"r3-failed", "rollout 3: sync Failed (after its retries); old pods still Healthy", func(a *v1alpha1.Application, now metav1.Time) error {
		finishSync(a, now, synccommon.OperationFailed,
			`one or more objects failed to apply, reason: Deployment.apps "helloservice" is invalid: spec.template.spec.containers[0].image: Required value (retried 5 times).`,
			synccommon.ResultCodeSyncFailed)
		a.Status.OperationState.RetryCount = 5
		refresh(a, now, rev2, v1alpha1.SyncStatusCodeOutOfSync)
		return nil
	}},
	{"r3-refreshed", "rollout 3: periodic refresh, still failed", func(a *v1alpha1.Application, now metav1.Time) error {
		a.Status.ReconciledAt = now.DeepCopy()
		return nil
	}},
	{"r4-running", "rollout 4 (rev3): OutOfSync, auto-sync started", func(a *v1alpha1.Application, now metav1.Time) error {
		refresh(a, now, rev3, v1alpha1.SyncStatusCodeOutOfSync)
		startSync(a, now, rev3)
		return nil
	}},
	{"r4-progressing", "rollout 4: sync Succeeded, post-sync refresh: Synced to rev3, Progressing", func(a *v1alpha1.Application, now metav1.Time) error {
		finishSync(a, now, synccommon.OperationSucceeded, "successfully synced (all tasks run)", synccommon.ResultCodeSynced)
		refresh(a, now, rev3, v1alpha1.SyncStatusCodeSynced)
		setHealth(a, health.HealthStatusProgressing, "Waiting for rollout to finish: 1 out of 2 new replicas have been updated...", "v0.3.3", "v0.3.5")
		return nil
	}},
	{"r4-degraded", "rollout 4: progress deadline exceeded: Degraded", func(a *v1alpha1.Application, now metav1.Time) error {
		setHealth(a, health.HealthStatusDegraded, `Deployment "helloservice" exceeded its progress deadline`, "v0.3.3", "v0.3.5")
		return nil
	}},
	{"r4-refreshed", "rollout 4: periodic refresh, still Degraded", func(a *v1alpha1.Application, now metav1.Time) error {
		a.Status.ReconciledAt = now.DeepCopy()
		return nil
	}},
}

func stepByName(name string) (step, bool) {
	for _, s := range steps {
		if s.name == name {
			return s, true
		}
	}
	return step{}, false
}

// apply turns the stored Application into Argo CD's type, applies the step, and back.
func (s step) apply(obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	var app v1alpha1.Application
	if err := decodeStrict(obj.Object, &app); err != nil {
		return nil, err
	}
	now := tick(&app)
	if err := s.change(&app, now); err != nil {
		return nil, err
	}
	raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&app)
	if err != nil {
		return nil, err
	}
	return &unstructured.Unstructured{Object: raw}, nil
}

// The logical clock lives in an annotation of the stored object (never sent: it is removed from
// nothing, it is just one more annotation the bridge does not read).
const clockKey = "keptn-peer.test/clock"

func tick(app *v1alpha1.Application) metav1.Time {
	now := time.Now().UTC().Truncate(time.Second)
	if last, err := time.Parse(time.RFC3339, app.Annotations[clockKey]); err == nil && !now.After(last) {
		now = last.Add(time.Second)
	}
	if app.Annotations == nil {
		app.Annotations = map[string]string{}
	}
	app.Annotations[clockKey] = now.Format(time.RFC3339)
	return metav1.NewTime(now)
}

func setValues(a *v1alpha1.Application, tag string, params []v1alpha1.HelmParameter) error {
	src := a.Spec.Source
	if src == nil || src.Helm == nil || src.Helm.ValuesObject == nil {
		return errors.New("the example Application has no spec.source.helm.valuesObject")
	}
	values := map[string]any{}
	if err := json.Unmarshal(src.Helm.ValuesObject.Raw, &values); err != nil {
		return err
	}
	img, _ := values["image"].(map[string]any)
	if img == nil {
		return errors.New("valuesObject has no image")
	}
	img["tag"] = tag
	raw, err := json.Marshal(values)
	if err != nil {
		return err
	}
	src.Helm.ValuesObject = &runtime.RawExtension{Raw: raw}
	if params != nil {
		src.Helm.Parameters = params
	}
	return nil
}

// refresh is a comparison with the latest revision (CompareWithLatest): it sets reconciledAt.
func refresh(a *v1alpha1.Application, now metav1.Time, revision string, code v1alpha1.SyncStatusCode) {
	a.Status.Sync = v1alpha1.SyncStatus{
		Status:     code,
		ComparedTo: v1alpha1.ComparedTo{Source: a.Spec.GetSource(), Destination: a.Spec.Destination},
		Revision:   revision,
	}
	a.Status.ReconciledAt = now.DeepCopy()
	a.Status.SourceType = v1alpha1.ApplicationSourceTypeHelm
	a.Status.ControllerNamespace = "argocd"
}

func setHealth(a *v1alpha1.Application, code health.HealthStatusCode, message string, tags ...string) {
	if a.Status.Health.Status != code {
		a.Status.Health.LastTransitionTime = a.Status.ReconciledAt.DeepCopy()
	}
	a.Status.Health.Status = code
	deployment := &v1alpha1.HealthStatus{Status: code, Message: message}
	a.Status.Resources = []v1alpha1.ResourceStatus{
		{Version: "v1", Kind: "Service", Namespace: a.Spec.Destination.Namespace, Name: "helloservice", Status: v1alpha1.SyncStatusCodeSynced, Health: &v1alpha1.HealthStatus{Status: health.HealthStatusHealthy}},
		{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: a.Spec.Destination.Namespace, Name: "helloservice", Status: a.Status.Sync.Status, Health: deployment},
	}
	a.Status.Summary.Images = nil
	for _, t := range tags {
		a.Status.Summary.Images = append(a.Status.Summary.Images, image+":"+t)
	}
}

// startSync is what the controller persists when it takes on an (auto-)sync operation.
func startSync(a *v1alpha1.Application, now metav1.Time, revision string) {
	op := v1alpha1.Operation{
		Sync:        &v1alpha1.SyncOperation{Revision: revision, Prune: true, SyncStrategy: &v1alpha1.SyncStrategy{Hook: &v1alpha1.SyncStrategyHook{}}},
		InitiatedBy: v1alpha1.OperationInitiator{Automated: true},
		Retry:       v1alpha1.RetryStrategy{Limit: 5},
	}
	a.Operation = op.DeepCopy()
	a.Status.OperationState = &v1alpha1.OperationState{
		Operation: op,
		Phase:     synccommon.OperationRunning,
		Message:   "waiting for healthy state of apps/Deployment/helloservice",
		StartedAt: now,
	}
}

func finishSync(a *v1alpha1.Application, now metav1.Time, phase synccommon.OperationPhase, message string, result synccommon.ResultCode) {
	st := a.Status.OperationState
	st.Phase = phase
	st.Message = message
	st.FinishedAt = now.DeepCopy()
	st.SyncResult = &v1alpha1.SyncOperationResult{
		Revision: st.Operation.Sync.Revision,
		Source:   a.Spec.GetSource(),
		Resources: v1alpha1.ResourceResults{
			{Version: "v1", Kind: "Service", Namespace: a.Spec.Destination.Namespace, Name: "helloservice", Status: synccommon.ResultCodeSynced, Message: "service/helloservice unchanged", SyncPhase: synccommon.SyncPhaseSync},
			{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: a.Spec.Destination.Namespace, Name: "helloservice", Status: result, Message: "deployment.apps/helloservice configured", SyncPhase: synccommon.SyncPhaseSync},
		},
	}
	a.Operation = nil
	if phase == synccommon.OperationSucceeded {
		a.Status.History = append(a.Status.History, v1alpha1.RevisionHistory{
			ID: int64(len(a.Status.History)), Revision: st.SyncResult.Revision, Source: st.SyncResult.Source,
			DeployStartedAt: st.StartedAt.DeepCopy(), DeployedAt: now, InitiatedBy: st.Operation.InitiatedBy,
		})
	}
}

// decodeStrict fills an Argo CD type from JSON-shaped data and refuses fields the type lacks.
func decodeStrict(data map[string]any, into any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("not an Argo CD %T: %w", into, err)
	}
	return nil
}

type state struct {
	App map[string]any `json:"app"`
}

// loadState returns the stored Application, or the shipped example (validated against Argo CD's
// Application type) when there is none yet.
func loadState(statePath, examplePath string) (*unstructured.Unstructured, error) {
	if raw, err := os.ReadFile(statePath); err == nil {
		var s state
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("%s: %w", statePath, err)
		}
		return &unstructured.Unstructured{Object: s.App}, nil
	} else if !os.IsNotExist(err) {
		return nil, err
	}
	raw, err := os.ReadFile(examplePath)
	if err != nil {
		return nil, err
	}
	var app v1alpha1.Application
	if err := yaml.UnmarshalStrict(raw, &app); err != nil {
		return nil, fmt.Errorf("%s is not an Argo CD Application: %w", examplePath, err)
	}
	app.UID = "6b0d5a4e-1c2f-4e8b-9a7d-3f5e6c7d8e9f"
	app.ResourceVersion = "1"
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&app)
	if err != nil {
		return nil, err
	}
	return &unstructured.Unstructured{Object: obj}, nil
}

func saveState(statePath string, obj *unstructured.Unstructured) error {
	raw, err := json.MarshalIndent(state{App: obj.Object}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(statePath, raw, 0o644)
}
