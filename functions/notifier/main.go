// Command notifier delivers alarms, events and findings to the configured
// channels, once, through the routing tree in the config.
package main

import (
	"context"
	"fmt"
	"os"
	"time"
	_ "time/tzdata" // provided.al2023 has no zoneinfo

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/watchkeeper/watchkeeper/shared/boot"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/dispatch"
	"github.com/watchkeeper/watchkeeper/shared/evidence"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/notify/channels"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

func main() {
	ctx := context.Background()
	rt, err := boot.Start(ctx, "notifier", os.LookupEnv, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "notifier: %v\n", err)
		os.Exit(1)
	}
	secrets := config.NewResolver(
		config.WithSecretsManager(secretsmanager.NewFromConfig(rt.AWS)),
		config.WithSSM(ssm.NewFromConfig(rt.AWS)),
		config.WithEnv(os.LookupEnv),
	)
	tz, err := time.LoadLocation(rt.Config.Deployment.TimeZone)
	if err != nil {
		fmt.Fprintf(os.Stderr, "notifier: time zone: %v\n", err)
		os.Exit(1)
	}
	chans, err := channels.Build(rt.Config.Notifications.Channels, secrets.Resolve, rt.Logger,
		notify.WithAWSConfig(rt.AWS),
		notify.WithRetrier(&notify.Retrier{Logger: rt.Logger}),
		notify.WithRender(render.Options{TimeZone: tz, AccountAlias: rt.Config.Deployment.AccountAlias}))
	if err != nil {
		fmt.Fprintf(os.Stderr, "notifier: channels: %v\n", err)
		os.Exit(1)
	}
	enrichers := []dispatch.Enricher{evidence.NewLogLines(cloudwatchlogs.NewFromConfig(rt.AWS), rt.Config.Alarms.Log, 0)}
	if evidence.GraphsShown(rt.Config.Notifications.Channels) {
		enrichers = append(enrichers, evidence.NewGraph(cloudwatch.NewFromConfig(rt.AWS)))
	}
	enrich := dispatch.WithEnrichers(enrichers...)
	var svc *dispatch.Service
	if rt.Env.Table != "" {
		store := state.NewStore(dynamodb.NewFromConfig(rt.AWS), rt.Env.Table, time.Now)
		svc, err = dispatch.New(rt.Config, chans, store, rt.Logger, enrich, dispatch.WithAlertState(store, time.Now))
	} else {
		rt.Logger.Warn("no state table configured: alerts are not deduplicated")
		svc, err = dispatch.New(rt.Config, chans, nil, rt.Logger, enrich)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "notifier: %v\n", err)
		os.Exit(1)
	}
	lambda.StartHandlerFunc(svc.Handle, lambda.WithEnableSIGTERM(func() { rt.Logger.Info("shutting down") }))
}
