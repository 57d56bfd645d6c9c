// argocd-notify runs one step of an Argo CD rollout through argoproj/notifications-engine's own
// controller: it loads deploy/argocd/argocd-notifications-cm.yaml with the engine's ParseConfig,
// puts the Application of that step (built with Argo CD's v1alpha1 types) into a fake cluster,
// lets the engine's controller evaluate the subscribed triggers once (oncePer state lives in the
// notified.notifications.argoproj.io annotation, which the controller patches), and renders and
// sends the webhook with the engine's webhook service to the bridge. The Application, with that
// annotation, is kept in a state file between runs, as the cluster keeps it between evaluations.
//
//	argocd-notify -config deploy/argocd/argocd-notifications-cm.yaml -url http://127.0.0.1:PORT \
//	  -token TOKEN -state /tmp/app.json -step r1-running
//	argocd-notify -list
//
// Prints one JSON object: the step, which triggers fired, and what the bridge answered.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/argoproj/notifications-engine/pkg/api"
	"github.com/argoproj/notifications-engine/pkg/controller"
	"github.com/argoproj/notifications-engine/pkg/services"
	"github.com/argoproj/notifications-engine/pkg/subscriptions"
	log "github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/yaml"
)

var appsGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}

// Answer is one webhook request the engine made, and the bridge's reply.
type Answer struct {
	Trigger string          `json:"trigger"`
	Status  int             `json:"status"`
	Body    json.RawMessage `json:"body"`
}

// Report is what one step printed.
type Report struct {
	Step        string   `json:"step"`
	Description string   `json:"description"`
	Skipped     string   `json:"skipped,omitempty"`
	Fired       []string `json:"fired"`
	Already     []string `json:"alreadyNotified"`
	Answers     []Answer `json:"answers"`
	Errors      []string `json:"errors"`
	Notified    string   `json:"notified"`
}

func main() {
	configPath := flag.String("config", "deploy/argocd/argocd-notifications-cm.yaml", "argocd-notifications-cm to load")
	examplePath := flag.String("app", "deploy/argocd/application-example.yaml", "Application the scenario starts from")
	bridge := flag.String("url", "", "bridge base URL, e.g. http://127.0.0.1:8080 (the service's path is kept)")
	token := flag.String("token", os.Getenv("ARGOCD_KEPTN_TOKEN"), "value of argocd-keptn-token in argocd-notifications-secret")
	statePath := flag.String("state", "", "file holding the Application between steps")
	step := flag.String("step", "", "step to run")
	list := flag.Bool("list", false, "print the steps in order and exit")
	flag.Parse()
	log.SetOutput(os.Stderr)
	log.SetLevel(log.WarnLevel)

	if *list {
		out := []map[string]string{}
		for _, s := range steps {
			out = append(out, map[string]string{"step": s.name, "description": s.description})
		}
		must(json.NewEncoder(os.Stdout).Encode(out))
		return
	}
	if *bridge == "" || *statePath == "" || *step == "" {
		fail("-url, -state and -step are required")
	}
	report, err := run(*configPath, *examplePath, *bridge, *token, *statePath, *step)
	if err != nil {
		fail(err.Error())
	}
	must(json.NewEncoder(os.Stdout).Encode(report))
}

func run(configPath, examplePath, bridge, token, statePath, stepName string) (*Report, error) {
	s, ok := stepByName(stepName)
	if !ok {
		return nil, fmt.Errorf("unknown step %q (see -list)", stepName)
	}
	// The Application as the cluster holds it: from the last step, or the shipped example.
	obj, err := loadState(statePath, examplePath)
	if err != nil {
		return nil, err
	}
	obj, err = s.apply(obj)
	if err != nil {
		return nil, fmt.Errorf("step %s: %w", stepName, err)
	}

	// Every request of the engine's webhook service goes through this recorder to the bridge.
	target, err := url.Parse(bridge)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	var answers []Answer
	recorder := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var sent struct {
			Trigger string `json:"trigger"`
		}
		_ = json.Unmarshal(body, &sent)
		req, _ := http.NewRequest(r.Method, target.Scheme+"://"+target.Host+r.URL.RequestURI(), bytesReader(body))
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			mu.Lock()
			answers = append(answers, Answer{Trigger: sent.Trigger, Status: 0, Body: jsonString(err.Error())})
			mu.Unlock()
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		reply, _ := io.ReadAll(resp.Body)
		recorded := json.RawMessage(reply)
		if !json.Valid(reply) {
			recorded = jsonString(string(reply))
		}
		mu.Lock()
		answers = append(answers, Answer{Trigger: sent.Trigger, Status: resp.StatusCode, Body: recorded})
		mu.Unlock()
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(reply)
	}))
	defer recorder.Close()

	cm, secret, err := loadConfig(configPath, token, recorder.URL)
	if err != nil {
		return nil, err
	}
	cfg, err := api.ParseConfig(cm, secret)
	if err != nil {
		return nil, fmt.Errorf("notifications-engine rejects %s: %w", configPath, err)
	}
	// Argo CD's notification controller exposes the Application as `app` (and a `context`).
	notifier, err := api.NewAPI(*cfg, func(o map[string]any, dest services.Destination) map[string]any {
		return map[string]any{"app": o, "context": map[string]any{"argocdUrl": "https://argocd.example", "notificationType": dest.Service}}
	})
	if err != nil {
		return nil, fmt.Errorf("notifications-engine rejects %s: %w", configPath, err)
	}

	client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{appsGVR: "ApplicationList"}, obj.DeepCopy())
	apps := client.Resource(appsGVR)
	// The informer lists the Application once; the watch stays quiet, so the controller
	// evaluates exactly this state once (its own annotation patch lands in its store directly).
	quiet := watch.NewFake()
	defer quiet.Stop()
	// (The fake client declares it has no watch-list streaming, which waits for a bookmark.)
	informer := cache.NewSharedIndexInformer(cache.ToListWatcherWithWatchListSemantics(&cache.ListWatch{
		ListFunc: func(options metav1.ListOptions) (runtime.Object, error) {
			return apps.Namespace(obj.GetNamespace()).List(ctx(), options)
		},
		WatchFunc: func(options metav1.ListOptions) (watch.Interface, error) { return quiet, nil },
	}, client), &unstructured.Unstructured{}, 0, cache.Indexers{})

	report := &Report{Step: s.name, Description: s.description, Fired: []string{}, Already: []string{}, Errors: []string{}}
	done := make(chan struct{})
	var once sync.Once
	ctrl := controller.NewController(apps, informer, factory{notifier},
		controller.WithSkipProcessing(func(o metav1.Object) (bool, string) {
			u, ok := o.(*unstructured.Unstructured)
			if !ok || syncStatusRefreshed(u) {
				return false, ""
			}
			report.Skipped = "sync status out of date"
			return true, report.Skipped
		}),
		controller.WithEventCallback(func(seq controller.NotificationEventSequence) {
			for _, d := range seq.Delivered {
				if d.AlreadyNotified {
					report.Already = append(report.Already, d.Trigger)
				} else {
					report.Fired = append(report.Fired, d.Trigger)
				}
			}
			for _, e := range append(seq.Errors, seq.Warnings...) {
				report.Errors = append(report.Errors, e.Error())
			}
			once.Do(func() { close(done) })
		}))
	stop := make(chan struct{})
	defer close(stop)
	go informer.Run(stop)
	go ctrl.Run(1, stop)
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		return nil, fmt.Errorf("the notifications controller did not process the Application within 60s")
	}

	// What the cluster holds now: the step's state plus the controller's annotation patch.
	after, err := apps.Namespace(obj.GetNamespace()).Get(ctx(), obj.GetName(), metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	report.Notified = after.GetAnnotations()[subscriptions.NotifiedAnnotationKey()]
	mu.Lock()
	report.Answers = append([]Answer{}, answers...)
	mu.Unlock()
	if err := saveState(statePath, after); err != nil {
		return nil, err
	}
	return report, nil
}

// factory hands the controller the one API built from the ConfigMap, as Argo CD's does.
type factory struct{ api api.API }

func (f factory) GetAPI() (api.API, error) { return f.api, nil }
func (f factory) GetAPIsFromNamespace(string) (map[string]api.API, error) {
	return map[string]api.API{"": f.api}, nil
}

// loadConfig reads the shipped ConfigMap and points the webhook service at the recorder; the
// secret holds the token the service's `$argocd-keptn-token` refers to.
func loadConfig(path, token, recorderURL string) (*corev1.ConfigMap, *corev1.Secret, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(raw, &cm); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	const key = "service.webhook.keptn-bridge"
	var service map[string]any
	if err := yaml.Unmarshal([]byte(cm.Data[key]), &service); err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", path, key, err)
	}
	shipped, err := url.Parse(fmt.Sprint(service["url"]))
	if err != nil {
		return nil, nil, err
	}
	service["url"] = recorderURL + shipped.Path
	rewritten, err := yaml.Marshal(service)
	if err != nil {
		return nil, nil, err
	}
	cm.Data[key] = string(rewritten)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "argocd-notifications-secret", Namespace: cm.Namespace},
		Data: map[string][]byte{"argocd-keptn-token": []byte(token)}}
	return &cm, secret, nil
}
