// Command sweeper runs the scheduled jobs (posture, heartbeat, reminders,
// reconcile, digest) and the alarm profiles' EC2 state-change events.
package main

import (
	"context"
	"fmt"
	"os"
	"time"
	_ "time/tzdata" // provided.al2023 has no zoneinfo

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/boot"
	"github.com/watchkeeper/watchkeeper/shared/bus"
	"github.com/watchkeeper/watchkeeper/shared/funcenv"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
	"github.com/watchkeeper/watchkeeper/shared/state"
	"github.com/watchkeeper/watchkeeper/shared/sweep"
)

func main() {
	ctx := context.Background()
	rt, err := boot.Start(ctx, "sweeper", os.LookupEnv, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "sweeper: %v\n", err)
		os.Exit(1)
	}
	events := eventbridge.NewFromConfig(rt.AWS)
	var pub sweep.Publisher
	if rt.Env.Bus != "" {
		pub = bus.New(events, rt.Env.Bus)
	}
	ec2Client := ec2.NewFromConfig(rt.AWS)
	cwClient := cloudwatch.NewFromConfig(rt.AWS)
	iamClient := iam.NewFromConfig(rt.AWS)
	autoAlarms := sweep.NewAutoAlarms(sweep.AutoAlarmClients{
		CloudWatch: cwClient,
		EC2:        ec2Client,
		Lambda:     awslambda.NewFromConfig(rt.AWS),
		Region:     rt.AWS.Region,
		TopicARN:   rt.Env.AlarmTopic,
	}, rt.Config.Alarms.Profiles, rt.Logger)
	var store *state.Store
	if rt.Env.Table != "" {
		store = state.NewStore(dynamodb.NewFromConfig(rt.AWS), rt.Env.Table, time.Now)
	}
	jobs := map[string]sweep.Job{
		sweep.JobReconcile: autoAlarms.Job(),
		sweep.JobHeartbeat: sweep.Heartbeat(rt.Logger, rt.Config.Deployment.StackName, time.Now),
		sweep.JobPosture: sweep.All(
			sweep.Posture(sweep.PostureClients{
				EC2:        ec2Client,
				S3:         s3.NewFromConfig(rt.AWS),
				CloudTrail: cloudtrail.NewFromConfig(rt.AWS),
				Region:     rt.AWS.Region,
			}),
			sweep.AccountPosture(sweep.AccountClients{
				IAM:        iamClient,
				Summary:    iamClient,
				EBS:        ec2Client,
				GuardDuty:  guardduty.NewFromConfig(rt.AWS),
				CloudWatch: cwClient,
				Logs:       cloudwatchlogs.NewFromConfig(rt.AWS),
				Events:     events,
				Suite: sweep.Suite{
					TrailLogGroup: os.Getenv(funcenv.TrailLogGroup),
					DetectorARN:   os.Getenv(funcenv.DetectorARN),
					RulePrefix:    os.Getenv(funcenv.RulePrefix),
					Buses:         suiteBuses(rt.Env.Bus),
				},
				Region: rt.AWS.Region,
				Now:    time.Now,
			}),
		),
	}
	if store != nil {
		jobs[sweep.JobDigest] = sweep.DigestJob(sweep.DigestClients{
			Audit:      store,
			CloudWatch: cwClient,
			SES:        sesv2.NewFromConfig(rt.AWS),
			Channels:   rt.Config.Notifications.Channels,
			Receivers:  rt.Config.Notifications.Receivers,
			Bus:        pub,
			Stack:      rt.Config.Deployment.StackName,
			Region:     rt.AWS.Region,
			Render:     render.Options{TimeZone: timeZone(rt.Config.Deployment.TimeZone), AccountAlias: rt.Config.Deployment.AccountAlias},
			Now:        time.Now,
			Logger:     rt.Logger,
		})
		jobs[sweep.JobReminders] = sweep.Reminders(store, pub, rt.Logger, time.Now)
	} else {
		jobs[sweep.JobReminders] = sweep.Reminders(nil, pub, rt.Logger, time.Now)
	}
	svc := sweep.New(jobs, pub, rt.Logger, time.Now)
	if store != nil {
		svc.DedupFindings(store, sweep.DefaultRenotifyAfter).AuditFindings(store)
	}
	svc.HandleEvents(func(ctx context.Context, trig *alert.Trigger) error {
		_, err := autoAlarms.OnEvent(ctx, trig)
		return err
	})
	lambda.StartHandlerFunc(svc.Handle, lambda.WithEnableSIGTERM(func() { rt.Logger.Info("shutting down") }))
}

// suiteBuses are the buses the stack's rules live on: the default bus (rules
// on resource events) and the suite's own.
func suiteBuses(own string) []string {
	if own == "" {
		return []string{"default"}
	}
	return []string{"default", own}
}

// timeZone is the configured zone messages show times in (validated at
// load, so it parses); nil means UTC only.
func timeZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	return loc
}
