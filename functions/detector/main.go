// Command detector flags suspicious API calls in CloudTrail records streamed
// from CloudWatch Logs (or delivered as EventBridge API-call events).
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
	_ "time/tzdata" // provided.al2023 has no zoneinfo

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/watchkeeper/watchkeeper/shared/boot"
	"github.com/watchkeeper/watchkeeper/shared/bus"
	"github.com/watchkeeper/watchkeeper/shared/detect"
)

func main() {
	ctx := context.Background()
	rt, err := boot.Start(ctx, "detector", os.LookupEnv, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "detector: %v\n", err)
		os.Exit(1)
	}
	var pub detect.Publisher
	if rt.Env.Bus != "" {
		pub = bus.New(eventbridge.NewFromConfig(rt.AWS), rt.Env.Bus)
	}
	engine, err := detect.NewPatternEngine(rt.Config.Detection, time.Now)
	if err != nil {
		fmt.Fprintf(os.Stderr, "detector: %v\n", err)
		os.Exit(1)
	}
	// sigma_files are relative to the config file: beside the repo's config
	// locally, and bundled beside watchkeeper.json in the function.
	sig, err := detect.LoadSigma(filepath.Dir(rt.Env.ConfigPath), rt.Config.Detection.SigmaFiles)
	if err == nil {
		err = engine.AddSigma(sig.Rules)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "detector: %v\n", err)
		os.Exit(1)
	}
	rt.Logger.Info("detection rules loaded", "rules", engine.Len(), "sigma_aggregating_not_evaluated", len(sig.Aggregating))
	svc := detect.New(engine, pub, rt.Logger, time.Now)
	lambda.StartHandlerFunc(svc.Handle, lambda.WithEnableSIGTERM(func() { rt.Logger.Info("shutting down") }))
}
