package main

// What shipyard-controller (keptn/keptn 1.4.5) does between a sequence's `<stage>.delivery.triggered`
// and the task's `deployment.triggered`. The shipyard-controller module cannot be required here (the
// Go module proxy serves no version of github.com/keptn/keptn/shipyard-controller), so the few lines
// that shape the payload are restated below with their upstream location; every type, constant and
// helper they use is go-utils' own (v0.20.4, the version 1.4.5 pins).

import (
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	keptnv2 "github.com/keptn/go-utils/pkg/lib/v0_2_0"
)

// keptnSpecVersion is what the 1.4.5 Helm chart puts in shipyard-controller's KEPTN_SPEC_VERSION:
// `git describe --tags` of the keptn/spec submodule (3a221d7 = 0.2.4; .github/workflows/release.yml:149-154,
// gh-actions-scripts/build-helm-charts.sh:56, installer/manifests/keptn/templates/shipyard-controller.yaml:68).
const keptnSpecVersion = "0.2.4"

// merge combines two decoded JSON values the way shipyard-controller 1.4.5 combines task payloads
// (observable behaviour of internal/common/utils.go Merge, written here from that behaviour):
// maps merge key by key, recursively, an absent or null value on the left taking the right one;
// arrays put the right's elements first, then the left's; anything else takes the right value,
// except that a null right leaves the left (for a string, a null right gives "").
func merge(left, right interface{}) interface{} {
	switch l := left.(type) {
	case map[string]interface{}:
		r, isMap := right.(map[string]interface{})
		if !isMap {
			if right == nil {
				return l
			}
			return right
		}
		for key, rv := range r {
			if lv, found := l[key]; found && lv != nil {
				l[key] = merge(lv, rv)
				continue
			}
			l[key] = rv
		}
		return l
	case []interface{}:
		r, isSlice := right.([]interface{})
		if !isSlice {
			if right == nil {
				return append([]interface{}(nil), l...)
			}
			return right
		}
		return append(r, l...)
	case string:
		if right == nil {
			return ""
		}
		if r, isString := right.(string); isString {
			return r
		}
		return right
	case nil:
		if r, isMap := right.(map[string]interface{}); isMap || right == nil {
			return r
		}
		return right
	}
	return left
}

// copyMap copies nested maps (not slices or scalars), so merging into the copy leaves the
// sequence's input untouched.
func copyMap(in map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(in))
	for key, value := range in {
		if nested, isMap := value.(map[string]interface{}); isMap {
			value = copyMap(nested)
		}
		out[key] = value
	}
	return out
}

// taskResult is shipyard-controller/models/sequence_execution.go:39 (TaskExecutionResult).
type taskResult struct {
	Name       string
	Result     keptnv2.ResultType
	Status     keptnv2.StatusType
	Properties map[string]interface{}
}

// sequenceExecution holds the parts of shipyard-controller's models.SequenceExecution that
// GetNextTriggeredEventData reads.
type sequenceExecution struct {
	Sequence        keptnv2.Sequence
	Project, Stage  string
	Service         string
	InputProperties map[string]interface{}
	PreviousTasks   []taskResult
}

// nextTask: the task after the completed ones, none after a failed or errored one
// (behaviour of models/sequence_execution.go GetNextTaskOfSequence).
func (e *sequenceExecution) nextTask() *keptnv2.Task {
	if n := len(e.PreviousTasks); n > 0 {
		last := e.PreviousTasks[n-1]
		if last.Result == keptnv2.ResultFailed || last.Status == keptnv2.StatusErrored {
			return nil
		}
	}
	if len(e.Sequence.Tasks) > len(e.PreviousTasks) {
		return &e.Sequence.Tasks[len(e.PreviousTasks)]
	}
	return nil
}

// nextTriggeredEventData: the sequence's input, the scope, every finished task's data, the last
// task's result and status, the next task's properties under its name, and an emptied message
// (behaviour of models/sequence_execution.go GetNextTriggeredEventData).
func (e *sequenceExecution) nextTriggeredEventData() map[string]interface{} {
	eventPayload := map[string]interface{}{}
	if e.InputProperties != nil {
		eventPayload = merge(eventPayload, copyMap(e.InputProperties)).(map[string]interface{})
	}
	eventPayload["project"] = e.Project
	eventPayload["stage"] = e.Stage
	eventPayload["service"] = e.Service
	if len(e.PreviousTasks) > 0 {
		for _, previousTask := range e.PreviousTasks {
			eventPayload = merge(eventPayload, previousTask.Properties).(map[string]interface{})
		}
		last := e.PreviousTasks[len(e.PreviousTasks)-1]
		eventPayload["result"] = last.Result
		eventPayload["status"] = last.Status
	}
	if next := e.nextTask(); next != nil && next.Properties != nil {
		eventPayload[next.Name] = merge(eventPayload[next.Name], next.Properties)
	}
	if eventPayload["message"] != nil {
		eventPayload["message"] = ""
	}
	return eventPayload
}

// completeTask is what handleTaskEvent/onTaskProgress (internal/controller/shipyardcontroller.go:334-348)
// and CompleteCurrentTask (models/sequence_execution.go:87) keep of a task's one .finished event:
// its data decoded into a map, plus its result and status.
func (e *sequenceExecution) completeTask(name string, finishedData interface{}) error {
	props := map[string]interface{}{}
	if err := keptnv2.Decode(finishedData, &props); err != nil {
		return err
	}
	var common keptnv2.EventData
	if err := keptnv2.Decode(finishedData, &common); err != nil {
		return err
	}
	result, status := keptnv2.ResultPass, keptnv2.StatusSucceeded
	if common.Result == keptnv2.ResultFailed {
		result = keptnv2.ResultFailed
	} else if common.Result == keptnv2.ResultWarning {
		result = keptnv2.ResultWarning
	}
	if common.Status == keptnv2.StatusErrored {
		status = keptnv2.StatusErrored
	}
	e.PreviousTasks = append(e.PreviousTasks, taskResult{Name: name, Result: result, Status: status, Properties: props})
	return nil
}

// createEventWithPayload builds the CloudEvent with the SDK as shipyard-controller does
// (internal/common/keptn_helpers.go CreateEventWithPayload), with the id and time given so the test
// can make unique, reproducible events.
func createEventWithPayload(id, keptnContext, triggeredID, eventType string, at time.Time, payload interface{}) (cloudevents.Event, error) {
	event := cloudevents.NewEvent()
	event.SetType(eventType)
	event.SetSource("shipyard-controller")
	event.SetDataContentType(cloudevents.ApplicationJSON)
	event.SetID(id)
	event.SetExtension("shkeptncontext", keptnContext)
	if triggeredID != "" {
		event.SetExtension("triggeredid", triggeredID)
	}
	event.SetExtension("shkeptnspecversion", keptnSpecVersion)
	event.SetTime(at)
	err := event.SetData(cloudevents.ApplicationJSON, payload)
	return event, err
}
