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
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/watchkeeper/watchkeeper/shared/boot"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/dispatch"
	"github.com/watchkeeper/watchkeeper/shared/evidence"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/notify/channels"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
	"github.com/watchkeeper/watchkeeper/shared/silence"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// aliasLookupTimeout bounds the cold start's iam:ListAccountAliases call.
const aliasLookupTimeout = 3 * time.Second

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
	alias := rt.Config.Deployment.AccountAlias
	if alias == "" {
		actx, cancel := context.WithTimeout(ctx, aliasLookupTimeout)
		alias, err = evidence.AccountAlias(actx, iam.NewFromConfig(rt.AWS))
		cancel()
		if err != nil {
			rt.Logger.Warn("messages show the account id without an alias", "err", err)
		}
	}
	var (
		store *state.Store
		db    *dynamodb.Client
	)
	chanOpts := []notify.Option{
		notify.WithAWSConfig(rt.AWS),
		notify.WithRetrier(&notify.Retrier{Logger: rt.Logger}),
		notify.WithRender(render.Options{TimeZone: tz, AccountAlias: alias}),
	}
	if rt.Env.Table != "" {
		db = dynamodb.NewFromConfig(rt.AWS)
		store = state.NewStore(db, rt.Env.Table, time.Now)
		chanOpts = append(chanOpts, notify.WithThreads(store))
	}
	chans, err := channels.Build(rt.Config.Notifications.Channels, secrets.Resolve, rt.Logger, chanOpts...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "notifier: channels: %v\n", err)
		os.Exit(1)
	}
	n := rt.Config.Notifications
	enrichers := []dispatch.Enricher{evidence.NewLogLines(cloudwatchlogs.NewFromConfig(rt.AWS), rt.Config.Alarms.Log, 0)}
	if evidence.GraphsWanted(n) {
		enrichers = append(enrichers, evidence.NewGraph(cloudwatch.NewFromConfig(rt.AWS)))
	}
	if n.GraphBucket != "" {
		enrichers = append(enrichers, evidence.NewGraphLinks(s3.NewFromConfig(rt.AWS), n.GraphBucket, 0))
	}
	enrichers = append(enrichers, evidence.NewLinks(rt.Config.Alarms.Log))
	enrichers = append(enrichers, evidence.NewRunbookTags(cloudwatch.NewFromConfig(rt.AWS), rt.AWS.Region, rt.Logger))
	enrich := dispatch.WithEnrichers(enrichers...)
	windows, err := silence.NewWindows(rt.Config.Notifications.MaintenanceWindows)
	if err != nil {
		fmt.Fprintf(os.Stderr, "notifier: %v\n", err)
		os.Exit(1)
	}
	var svc *dispatch.Service
	if store != nil {
		silencer := silence.NewSilencer(windows, silence.NewTable(db, rt.Env.Table, time.Now), silence.WithLogger(rt.Logger))
		svc, err = dispatch.New(rt.Config, chans, store, rt.Logger, enrich,
			dispatch.WithSilencer(silencer, store), dispatch.WithAlertState(store, time.Now),
			dispatch.WithNotificationAudit(store, time.Now))
	} else {
		rt.Logger.Warn("no state table configured: alerts are not deduplicated, Slack messages are not threaded, only maintenance windows silence alerts")
		svc, err = dispatch.New(rt.Config, chans, nil, rt.Logger, enrich, dispatch.WithSilencer(silence.NewSilencer(windows, nil), nil))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "notifier: %v\n", err)
		os.Exit(1)
	}
	lambda.StartHandlerFunc(svc.Handle, lambda.WithEnableSIGTERM(func() { rt.Logger.Info("shutting down") }))
}
