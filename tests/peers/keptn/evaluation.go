package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/keptn/go-utils/pkg/common/timeutils"
	keptnv2 "github.com/keptn/go-utils/pkg/lib/v0_2_0"
)

// runEvaluationWindow reads one sequence .triggered event the bridge sent (GitOps-first) and
// answers what lighthouse-service 1.4.5 makes of it when the sequence's evaluation task runs:
// shipyard-controller merges the sequence's triggered data into the task's evaluation.triggered
// data, which lighthouse decodes as keptnv2.EvaluationTriggeredEventData and reads with
// getEvaluationTimestamps (lighthouse-service/event_handler/start_evaluation_handler.go at 1.4.5,
// copied below; it calls go-utils timeutils.GetStartEndTime, used here as is). Prints
// {"start":…,"end":…} or fails with lighthouse's own error.
func runEvaluationWindow(r io.Reader) error {
	ce, err := readOneEvent(r, "evaluation-window")
	if err != nil {
		return err
	}
	data := keptnv2.EvaluationTriggeredEventData{}
	if err := keptnv2.EventDataAs(ce, &data); err != nil {
		return err
	}
	start, end, err := getEvaluationTimestamps(&data)
	if err != nil {
		return err
	}
	out, _ := json.Marshal(map[string]string{"start": start, "end": end})
	fmt.Println(string(out))
	return nil
}

// lighthouse-service 1.4.5, event_handler/start_evaluation_handler.go.
func getEvaluationTimestamps(e *keptnv2.EvaluationTriggeredEventData) (string, string, error) {
	if (e.Evaluation.Start != "" && e.Evaluation.End != "") || (e.Evaluation.Timeframe != "") {
		params := timeutils.GetStartEndTimeParams{
			StartDate: e.Evaluation.Start,
			EndDate:   e.Evaluation.End,
			Timeframe: e.Evaluation.Timeframe,
		}
		start, end, err := timeutils.GetStartEndTime(params)
		if err != nil {
			return "", "", err
		}
		return timeutils.GetKeptnTimeStamp(*start), timeutils.GetKeptnTimeStamp(*end), nil
	} else if e.Test.Start != "" && e.Test.End != "" {
		return e.Test.Start, e.Test.End, nil
	}
	return "", "", errors.New("evaluation.triggered event does not contain evaluation timeframe")
}
