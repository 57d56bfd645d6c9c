// Command keptn-peer produces Keptn v1 events with Keptn's own Go code (go-utils and the
// CloudEvents SDK at the versions keptn/keptn 1.4.5 pins) and validates what the bridge sends back.
//
//	keptn-peer triggered <first|promotion|listed|listed-legacy> [--project p] [--stage s]
//	           [--service svc] [--id id] [--context ctx] [--gitcommitid sha] [--image img] [--labels k=v,...]
//	keptn-peer validate            < events (JSON array or JSON lines)
//	keptn-peer finished-data       < one .finished event; prints its data as keptnv2.DeploymentFinishedEventData
//	keptn-peer evaluation-window   < one sequence .triggered event; prints the window lighthouse 1.4.5 evaluates
//
// JSON goes to stdout, diagnostics to stderr; validate exits 1 naming the event and the rule broken.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "triggered":
		err = runTriggered(os.Args[2:])
	case "validate":
		err = runValidate(os.Stdin)
	case "finished-data":
		err = runFinishedData(os.Stdin)
	case "evaluation-window":
		err = runEvaluationWindow(os.Stdin)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "keptn-peer:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: keptn-peer triggered <first|promotion|listed|listed-legacy> [flags] | validate | finished-data | evaluation-window")
	os.Exit(2)
}
