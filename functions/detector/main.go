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
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/watchkeeper/watchkeeper/shared/boot"
	"github.com/watchkeeper/watchkeeper/shared/bus"
	"github.com/watchkeeper/watchkeeper/shared/detect"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

func main() {
	ctx := context.Background()
	rt, err := boot.Start(ctx, "detector", os.LookupEnv, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "detector: %v\n", err)
		os.Exit(1)
	}
	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "detector: %v\n", err)
		os.Exit(1)
	}
	det := rt.Config.Detection
	var pub detect.Publisher
	if rt.Env.Bus != "" {
		pub = bus.New(eventbridge.NewFromConfig(rt.AWS), rt.Env.Bus)
	}
	engine, err := detect.NewPatternEngine(det, time.Now)
	if err != nil {
		fail(err)
	}
	// sigma_files are relative to the config file: beside the repo's config
	// locally, and bundled beside watchkeeper.json in the function.
	sig, err := detect.LoadSigma(filepath.Dir(rt.Env.ConfigPath), det.SigmaFiles)
	if err == nil {
		err = engine.AddSigma(sig.Rules)
	}
	if err != nil {
		fail(err)
	}
	thresholds, err := detect.NewThresholds(det, sig.Aggregating, engine.HasRule)
	if err != nil {
		fail(err)
	}
	// Threshold patterns run in the engine: one decode per record for all.
	engine.AddThresholdPatterns(thresholds)
	catalog, err := detect.NewCatalog(det, sig.Rules, sig.Aggregating)
	if err != nil {
		fail(err)
	}
	suppressor, err := detect.NewSuppressor(det.Suppressions, time.Now)
	if err != nil {
		fail(err)
	}
	dedupWindow, err := time.ParseDuration(det.DedupWindow)
	if err != nil {
		fail(fmt.Errorf("detection.dedup_window: %w", err))
	}
	opts := []detect.Option{detect.WithSuppressor(suppressor), detect.WithCatalog(catalog), detect.WithTrailLogGroup(rt.Config.Trail.LogGroupName)}
	if rt.Env.Table != "" {
		db := dynamodb.NewFromConfig(rt.AWS)
		opts = append(opts,
			detect.WithThresholds(thresholds, state.NewWindowCounter(db, rt.Env.Table)),
			detect.WithDedup(state.NewFindingDedup(db, rt.Env.Table), dedupWindow),
			detect.WithAudit(state.NewStore(db, rt.Env.Table, time.Now)))
	} else if thresholds.Len() > 0 {
		rt.Logger.Warn("no state table: thresholds and finding dedup are off", "thresholds", thresholds.Len())
	}
	rt.Logger.Info("detection rules loaded", "rules", engine.Len(), "thresholds", thresholds.Len(),
		"suppressions", suppressor.Len(), "dedup_window", dedupWindow.String())
	svc := detect.New(engine, pub, rt.Logger, time.Now, opts...)
	lambda.StartHandlerFunc(svc.Handle, lambda.WithEnableSIGTERM(func() { rt.Logger.Info("shutting down") }))
}
