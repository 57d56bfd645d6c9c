package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	apimodels "github.com/keptn/go-utils/pkg/api/models"
	keptnv2 "github.com/keptn/go-utils/pkg/lib/v0_2_0"
)

// maxEventBytes is the API's limit when event validation is on (api/restapi/configure_keptn.go:137,
// maxEventSizeKB default "64", installer/manifests/keptn/values.yaml:381).
const maxEventBytes = 64 * 1024

func readEvents(r io.Reader) ([]json.RawMessage, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return nil, nil
	}
	if trimmed[0] == '[' {
		var events []json.RawMessage
		if err := json.Unmarshal(trimmed, &events); err != nil {
			return nil, fmt.Errorf("stdin is not a JSON array of events: %w", err)
		}
		return events, nil
	}
	var events []json.RawMessage
	sc := bufio.NewScanner(bytes.NewReader(trimmed))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if !json.Valid(line) {
			return nil, fmt.Errorf("line %d is not JSON", n)
		}
		events = append(events, append(json.RawMessage(nil), line...))
	}
	return events, sc.Err()
}

type report struct {
	Events int      `json:"events"`
	Types  []string `json:"types"`
	Notes  []string `json:"notes"`
}

func runValidate(r io.Reader) error {
	events, err := readEvents(r)
	if err != nil {
		return err
	}
	rep := report{Events: len(events), Types: []string{}, Notes: []string{}}
	var failures []string
	for i, raw := range events {
		name, problems, notes := validateOne(raw)
		rep.Types = append(rep.Types, name)
		for _, n := range notes {
			rep.Notes = append(rep.Notes, fmt.Sprintf("event %d (%s): %s", i, name, n))
		}
		for _, p := range problems {
			failures = append(failures, fmt.Sprintf("event %d (%s): %s", i, name, p))
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(os.Stderr, "note:", n)
	}
	out, _ := json.Marshal(rep)
	fmt.Println(string(out))
	if len(failures) > 0 {
		return fmt.Errorf("%d of %d events break Keptn's rules:\n  %s", len(failures), len(events), strings.Join(failures, "\n  "))
	}
	return nil
}

// validateOne decodes one event into go-utils' model and checks it the way Keptn 1.4.5 does.
func validateOne(raw json.RawMessage) (name string, problems, notes []string) {
	fail := func(format string, args ...interface{}) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var ce apimodels.KeptnContextExtendedCE
	if err := json.Unmarshal(raw, &ce); err != nil {
		return "undecodable", []string{"does not decode into go-utils models.KeptnContextExtendedCE: " + err.Error()}, nil
	}
	typ := ""
	if ce.Type != nil {
		typ = *ce.Type
	}
	name = fmt.Sprintf("%s id=%s triggeredid=%s", typ, ce.ID, ce.Triggeredid)

	if len(raw) > maxEventBytes {
		fail("body is %d bytes, over the API's 64 KiB limit (api/restapi/configure_keptn.go:137)", len(raw))
	}
	// Required envelope: the API's swagger model (api/models/keptn_context_extended_c_e.go: data,
	// source, type required) and go-utils' own check (KeptnContextExtendedCE.Validate: time, type, id, source).
	if ce.Data == nil {
		fail("data is required (api swagger model keptnContextExtendedCE)")
	}
	if err := ce.Validate(); err != nil {
		fail("go-utils KeptnContextExtendedCE.Validate: %v", err)
	}
	var envelope map[string]interface{}
	_ = json.Unmarshal(raw, &envelope)
	if v, _ := envelope["specversion"].(string); v != "1.0" {
		fail("specversion must be \"1.0\", got %q", v)
	}

	// api/handlers/eventvalidation.go (Validate), restated with go-utils' event-type helpers.
	if keptnv2.IsSequenceEventType(typ) {
		kind, _ := keptnv2.ParseEventKind(typ)
		if kind != "triggered" {
			fail("unknown event type action: %s (a sequence event may only be .triggered; eventvalidation.go:23)", kind)
		}
		var data keptnv2.EventData
		if err := keptnv2.EventDataAs(ce, &data); err != nil {
			fail("could not parse common event data: %v", err)
		} else {
			if data.Project == "" || data.Stage == "" || data.Service == "" {
				fail("mandatory field(s) 'project', 'stage' or 'service' missing")
			}
			stage, _, _, err := keptnv2.ParseSequenceEventType(typ)
			if err != nil || data.Stage != stage {
				fail("stage name in event data (%q) and in event type does not match (%q)", data.Stage, stage)
			}
		}
		if ce.GitCommitID != "" {
			notes = append(notes, fmt.Sprintf("gitcommitid %s is set on a sequence the bridge triggers: shipyard-controller keeps it as the commit of Keptn's config repo for every task of the sequence (shipyardcontroller.go:271,296-305,759)", ce.GitCommitID))
		}
		return name, problems, notes
	}
	if !keptnv2.IsTaskEventType(typ) {
		fail("unknown event type (not sh.keptn.event.<task>.<kind> nor sh.keptn.event.<stage>.<sequence>.triggered)")
		return name, problems, notes
	}
	kind, _ := keptnv2.ParseEventKind(typ)
	switch kind {
	case "started", "finished", "invalidated":
	default:
		fail("unknown event type action: %s (tasks take only started, finished, invalidated; eventvalidation.go:20)", kind)
		return name, problems, notes
	}
	if kind == "invalidated" {
		return name, problems, notes
	}
	var data keptnv2.EventData
	if err := keptnv2.EventDataAs(ce, &data); err != nil {
		fail("could not parse common event data: %v", err)
		return name, problems, notes
	}
	if data.Project == "" || data.Stage == "" || data.Service == "" {
		fail("mandatory field(s) 'project', 'stage' or 'service' missing")
	}
	if ce.Triggeredid == "" {
		fail("mandatory field 'triggeredid' missing")
	}
	// The API would make up a fresh context (api/handlers/event.go:103-124); shipyard-controller then
	// finds no open sequence for it and the task never completes.
	if ce.Shkeptncontext == "" {
		fail("shkeptncontext missing: the API would assign a new context and shipyard-controller would match no sequence")
	}
	if kind == "finished" {
		if data.Result == "" {
			fail("result field is not set")
		} else if data.Result != keptnv2.ResultPass && data.Result != keptnv2.ResultWarning && data.Result != keptnv2.ResultFailed {
			fail("data.result %q is not pass|warning|fail (go-utils ResultType)", data.Result)
		}
		if data.Status == "" {
			fail("status field is not set")
		} else if data.Status != keptnv2.StatusSucceeded && data.Status != keptnv2.StatusErrored && data.Status != keptnv2.StatusUnknown {
			fail("data.status %q is not succeeded|errored|unknown", data.Status)
		}
	}
	// The typed payloads services and shipyard-controller read.
	if strings.HasPrefix(typ, "sh.keptn.event.deployment.") {
		var typed interface{} = &keptnv2.DeploymentStartedEventData{}
		if kind == "finished" {
			typed = &keptnv2.DeploymentFinishedEventData{}
		}
		if err := strictDecode(ce.Data, typed); err != nil {
			if err2 := keptnv2.EventDataAs(ce, typed); err2 != nil {
				fail("data does not decode into go-utils %T: %v", typed, err2)
			} else {
				notes = append(notes, fmt.Sprintf("data has fields go-utils %T does not know (Keptn ignores them): %v", typed, err))
			}
		}
	}
	return name, problems, notes
}

func strictDecode(in interface{}, out interface{}) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}

// readOneEvent reads exactly one Keptn event (what `what` expects) as Keptn's own model.
func readOneEvent(r io.Reader, what string) (apimodels.KeptnContextExtendedCE, error) {
	var ce apimodels.KeptnContextExtendedCE
	events, err := readEvents(r)
	if err != nil {
		return ce, err
	}
	if len(events) != 1 {
		return ce, fmt.Errorf("%s reads exactly one event, got %d", what, len(events))
	}
	err = json.Unmarshal(events[0], &ce)
	return ce, err
}

// runFinishedData prints a .finished event's data decoded into go-utils' typed struct and marshalled
// back, so the test sees exactly what a Keptn service reading it would see.
func runFinishedData(r io.Reader) error {
	ce, err := readOneEvent(r, "finished-data")
	if err != nil {
		return err
	}
	data := keptnv2.DeploymentFinishedEventData{}
	if err := keptnv2.EventDataAs(ce, &data); err != nil {
		return err
	}
	out, err := json.Marshal(data)
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}
