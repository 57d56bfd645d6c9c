package main

import (
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// syncStatusRefreshed is the gate Argo CD's notification controller puts in front of the engine
// (argo-cd notification_controller/controller/controller.go, isAppSyncStatusRefreshed, the same in
// v2.14 and v3.6): an Application whose last operation is over (Succeeded, Failed, Error) is not
// evaluated until status.reconciledAt (or the deprecated observedAt) is no older than
// operationState.finishedAt. All three are RFC 3339 with whole seconds, so a refresh in the same
// second as the end of the sync passes, whether it ran before or after it.
func syncStatusRefreshed(app *unstructured.Unstructured) bool {
	phase, found, _ := unstructured.NestedString(app.Object, "status", "operationState", "phase")
	if !found || (phase != "Succeeded" && phase != "Failed" && phase != "Error") {
		return true
	}
	raw, found, _ := unstructured.NestedString(app.Object, "status", "operationState", "finishedAt")
	if !found {
		return false
	}
	finishedAt, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		return false
	}
	seen := func(field string) time.Time {
		s, _, _ := unstructured.NestedString(app.Object, "status", field)
		t, _ := time.Parse(time.RFC3339, s)
		return t
	}
	return !(finishedAt.After(seen("reconciledAt")) && finishedAt.After(seen("observedAt")))
}
