package main

import (
	"crypto/sha1"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/google/uuid"
	apimodels "github.com/keptn/go-utils/pkg/api/models"
	keptnv2 "github.com/keptn/go-utils/pkg/lib/v0_2_0"
	"gopkg.in/yaml.v3"
)

//go:embed shipyard.yaml
var shipyardYAML []byte

type triggerArgs struct {
	project, stage, service, id, context, gitCommitID, image, labels, subscription string
}

func runTriggered(args []string) error {
	if len(args) < 1 {
		return fmt.Errorf("triggered needs a case: first, promotion, listed or listed-legacy")
	}
	kase := args[0]
	fs := flag.NewFlagSet("triggered "+kase, flag.ContinueOnError)
	a := triggerArgs{}
	fs.StringVar(&a.project, "project", "podtato", "Keptn project")
	fs.StringVar(&a.stage, "stage", "", "stage of the deployment task (default: dev, prod for promotion)")
	fs.StringVar(&a.service, "service", "helloservice", "Keptn service")
	fs.StringVar(&a.id, "id", "", "id of the deployment.triggered event (default: a new UUID, as shipyard-controller makes)")
	fs.StringVar(&a.context, "context", "", "shkeptncontext (default: a new UUID, as the API makes)")
	fs.StringVar(&a.gitCommitID, "gitcommitid", "", "the stage's latest commit in Keptn's config repo (default: derived from project/stage)")
	fs.StringVar(&a.image, "image", "ghcr.io/podtato-head/podtato-server:v0.3.2", "keptn trigger delivery --image")
	fs.StringVar(&a.labels, "labels", "buildId=build-17,owner=team-podtato", "keptn trigger delivery --labels (k=v,...)")
	fs.StringVar(&a.subscription, "subscription", "", "subscription id the distributor adds as temporaryData (default: derived)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if a.stage == "" {
		a.stage = "dev"
		if kase == "promotion" {
			a.stage = "prod"
		}
	}
	if a.id == "" {
		a.id = uuid.NewString()
	}
	if a.context == "" {
		a.context = uuid.NewString()
	}
	if a.gitCommitID == "" {
		sum := sha1.Sum([]byte("keptn-config-repo/" + a.project + "/" + a.stage))
		a.gitCommitID = hex.EncodeToString(sum[:])
	}
	if a.subscription == "" {
		a.subscription = uuid.NewSHA1(uuid.NameSpaceURL, []byte("keptn-gitops-bridge/"+a.project)).String()
	}

	var stored apimodels.KeptnContextExtendedCE
	var err error
	switch kase {
	case "first", "listed", "listed-legacy":
		stored, err = firstDelivery(a)
	case "promotion":
		stored, err = promotion(a)
	default:
		return fmt.Errorf("unknown case %q (first, promotion, listed, listed-legacy)", kase)
	}
	if err != nil {
		return err
	}
	var out []byte
	switch kase {
	case "listed":
		// GET /controlPlane/v1/event/triggered/... answers the stored model as it is.
		out, err = json.Marshal(stored)
	case "listed-legacy":
		// Events stored by go-utils' ToKeptnEvent / KeptnEvent builders (the API's own path, older
		// shipyard-controllers, integrations) carry contenttype; pre-0.19 control planes wrote 0.2.3.
		legacy, lerr := keptnv2.ToKeptnEvent(keptnv2.ToCloudEvent(stored))
		if lerr != nil {
			return lerr
		}
		legacy.Shkeptnspecversion = "0.2.3"
		out, err = json.Marshal(legacy)
	default:
		out, err = distributorPush(stored, a.subscription)
	}
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(out, '\n'))
	return err
}

func loadShipyard() (*keptnv2.Shipyard, error) {
	s := &keptnv2.Shipyard{}
	if err := yaml.Unmarshal(shipyardYAML, s); err != nil {
		return nil, err
	}
	return s, nil
}

func sequenceOf(s *keptnv2.Shipyard, stage, name string) (keptnv2.Sequence, error) {
	for _, st := range s.Spec.Stages {
		if st.Name != stage {
			continue
		}
		for _, seq := range st.Sequences {
			if seq.Name == name {
				return seq, nil
			}
		}
	}
	return keptnv2.Sequence{}, fmt.Errorf("shipyard has no sequence %s in stage %s", name, stage)
}

func parseLabels(s string) map[string]string {
	if s == "" {
		return nil
	}
	labels := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		labels[k] = v
	}
	return labels
}

// cliDelivery is cli/cmd/trigger_delivery.go:115-150 (keptn trigger delivery): the sequence's
// `<stage>.delivery.triggered`, as the API hands it to shipyard-controller; returns its data as
// shipyard-controller decodes it (internal/controller/shipyardcontroller.go:253-257).
func cliDelivery(a triggerArgs, stage string) (map[string]interface{}, error) {
	valuesJSON := map[string]interface{}{"image": a.image}
	deploymentEvent := keptnv2.DeploymentTriggeredEventData{
		EventData: keptnv2.EventData{
			Project: a.project,
			Stage:   stage,
			Service: a.service,
			Labels:  parseLabels(a.labels),
		},
		ConfigurationChange: keptnv2.ConfigurationChange{Values: valuesJSON},
	}
	sdkEvent := cloudevents.NewEvent()
	sdkEvent.SetID(uuid.New().String())
	sdkEvent.SetType(keptnv2.GetTriggeredEventType(stage + ".delivery"))
	sdkEvent.SetSource("https://github.com/keptn/keptn/cli#configuration-change")
	sdkEvent.SetDataContentType(cloudevents.ApplicationJSON)
	if err := sdkEvent.SetData(cloudevents.ApplicationJSON, deploymentEvent); err != nil {
		return nil, err
	}
	eventByte, err := sdkEvent.MarshalJSON()
	if err != nil {
		return nil, err
	}
	apiEvent := apimodels.KeptnContextExtendedCE{}
	if err := json.Unmarshal(eventByte, &apiEvent); err != nil {
		return nil, err
	}
	input := map[string]interface{}{}
	err = keptnv2.Decode(apiEvent.Data, &input)
	return input, err
}

// taskTriggered is internal/controller/shipyardcontroller.go:755-776 (triggerTask): the task's
// .triggered CloudEvent with the sequence's gitcommitid (set by appendLatestCommitIDToEvent, :296,
// from GetLatestCommitID of Keptn's config repo), decoded into the model that is stored and listed.
func taskTriggered(a triggerArgs, exec *sequenceExecution) (apimodels.KeptnContextExtendedCE, error) {
	task := exec.nextTask()
	if task == nil {
		return apimodels.KeptnContextExtendedCE{}, fmt.Errorf("sequence has no next task")
	}
	event, err := createEventWithPayload(a.id, a.context, "", keptnv2.GetTriggeredEventType(task.Name), time.Now().UTC(), exec.nextTriggeredEventData())
	if err != nil {
		return apimodels.KeptnContextExtendedCE{}, err
	}
	event.SetExtension("gitcommitid", a.gitCommitID)
	storeEvent := apimodels.KeptnContextExtendedCE{}
	if err := keptnv2.Decode(event, &storeEvent); err != nil {
		return storeEvent, err
	}
	storeEvent.Time = event.Time()
	return storeEvent, nil
}

func firstDelivery(a triggerArgs) (apimodels.KeptnContextExtendedCE, error) {
	shipyard, err := loadShipyard()
	if err != nil {
		return apimodels.KeptnContextExtendedCE{}, err
	}
	seq, err := sequenceOf(shipyard, a.stage, "delivery")
	if err != nil {
		return apimodels.KeptnContextExtendedCE{}, err
	}
	input, err := cliDelivery(a, a.stage)
	if err != nil {
		return apimodels.KeptnContextExtendedCE{}, err
	}
	exec := &sequenceExecution{Sequence: seq, Project: a.project, Stage: a.stage, Service: a.service, InputProperties: input}
	return taskTriggered(a, exec)
}

// promotion runs the whole dev delivery (deployment, test, evaluation, release finished the way
// helm-service, jmeter-service, lighthouse-service and helm-service report them, as go-utils'
// typed data), then triggers prod's delivery with the dev sequence's merged payload
// (sendTaskSequenceTriggeredEvent, shipyardcontroller.go:796-815) and returns prod's deployment.triggered.
func promotion(a triggerArgs) (apimodels.KeptnContextExtendedCE, error) {
	none := apimodels.KeptnContextExtendedCE{}
	shipyard, err := loadShipyard()
	if err != nil {
		return none, err
	}
	const first = "dev"
	devSeq, err := sequenceOf(shipyard, first, "delivery")
	if err != nil {
		return none, err
	}
	prodSeq, err := sequenceOf(shipyard, a.stage, "delivery")
	if err != nil {
		return none, err
	}
	input, err := cliDelivery(a, first)
	if err != nil {
		return none, err
	}
	dev := &sequenceExecution{Sequence: devSeq, Project: a.project, Stage: first, Service: a.service, InputProperties: input}
	base := keptnv2.EventData{Project: a.project, Stage: first, Service: a.service, Labels: parseLabels(a.labels), Status: keptnv2.StatusSucceeded, Result: keptnv2.ResultPass}
	msg := func(m string) keptnv2.EventData { d := base; d.Message = m; return d }
	start := time.Date(2023, 12, 21, 10, 0, 0, 0, time.UTC)
	devCommit := hex.EncodeToString(func() []byte { s := sha1.Sum([]byte("keptn-config-repo/" + a.project + "/" + first)); return s[:] }())
	steps := []struct {
		task string
		data interface{}
	}{
		{"deployment", keptnv2.DeploymentFinishedEventData{EventData: msg("Successfully deployed"), Deployment: keptnv2.DeploymentFinishedData{
			DeploymentStrategy:   "direct",
			DeploymentURIsLocal:  []string{fmt.Sprintf("http://%s.%s-%s:80", a.service, a.project, first)},
			DeploymentURIsPublic: []string{fmt.Sprintf("http://%s.%s-%s.example.com", a.service, a.project, first)},
			DeploymentNames:      []string{a.service},
		}}},
		{"test", keptnv2.TestFinishedEventData{EventData: msg("Tests were successful"), Test: keptnv2.TestFinishedDetails{
			Start: start.Format(time.RFC3339), End: start.Add(2 * time.Minute).Format(time.RFC3339),
		}}},
		{"evaluation", keptnv2.EvaluationFinishedEventData{EventData: msg(""), Evaluation: keptnv2.EvaluationDetails{
			TimeStart: start.Format(time.RFC3339), TimeEnd: start.Add(2 * time.Minute).Format(time.RFC3339),
			Result: "pass", Score: 100, SLOFileContent: "LS0tCnNwZWNfdmVyc2lvbjogIjEuMCIK",
			IndicatorResults: []*keptnv2.SLIEvaluationResult{{
				Score: 1, DisplayName: "Response time P95", KeySLI: false, Status: "pass",
				Value:       &keptnv2.SLIResult{Metric: "response_time_p95", Value: 212.5, Success: true},
				PassTargets: []*keptnv2.SLITarget{{Criteria: "<=600", TargetValue: 600}},
			}},
			ComparedEvents: []string{uuid.NewSHA1(uuid.NameSpaceOID, []byte(devCommit)).String()},
		}}},
		{"release", keptnv2.ReleaseFinishedEventData{EventData: msg("Finished release")}},
	}
	for _, s := range steps {
		if err := dev.completeTask(s.task, s.data); err != nil {
			return none, err
		}
	}
	if dev.nextTask() != nil {
		return none, fmt.Errorf("dev delivery not complete")
	}
	merged := dev.nextTriggeredEventData()
	merged["stage"] = a.stage
	// The prod sequence's .triggered goes through NATS back into handleSequenceTriggered, which
	// decodes its data into the sequence's input properties.
	seqEvent, err := createEventWithPayload(uuid.NewString(), a.context, "", keptnv2.GetTriggeredEventType(a.stage+".delivery"), time.Now().UTC(), merged)
	if err != nil {
		return none, err
	}
	prodInput := map[string]interface{}{}
	if err := seqEvent.DataAs(&prodInput); err != nil {
		return none, err
	}
	prod := &sequenceExecution{Sequence: prodSeq, Project: a.project, Stage: a.stage, Service: a.service, InputProperties: prodInput}
	return taskTriggered(a, prod)
}

// distributorPush is what a remote-execution-plane distributor 1.4.5 POSTs to the service for a
// listed event: distributor/pkg/poller/poller.go:103-107 adds the subscription as temporaryData,
// :150 converts with go-utils' ToCloudEvent, and go-utils' HTTPEventSender sends it in structured
// mode (pkg/lib/v0_2_0/events.go:112-114), i.e. `application/cloudevents+json` with this body.
func distributorPush(stored apimodels.KeptnContextExtendedCE, subscriptionID string) ([]byte, error) {
	type additionalSubscriptionData struct { // distributor/pkg/model/model.go:6
		SubscriptionID string `json:"subscriptionID"`
	}
	if err := stored.AddTemporaryData("distributor", additionalSubscriptionData{SubscriptionID: subscriptionID}, apimodels.AddTemporaryDataOptions{OverwriteIfExisting: true}); err != nil {
		return nil, err
	}
	event := keptnv2.ToCloudEvent(stored)
	return event.MarshalJSON()
}
