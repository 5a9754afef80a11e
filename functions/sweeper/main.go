// Command sweeper runs the scheduled jobs: the posture sweep, the heartbeat
// and the reminders (repeat reminders and storm group flushes).
package main

import (
	"context"
	"fmt"
	"os"
	"time"
	_ "time/tzdata" // provided.al2023 has no zoneinfo

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/watchkeeper/watchkeeper/shared/boot"
	"github.com/watchkeeper/watchkeeper/shared/bus"
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
	var pub sweep.Publisher
	if rt.Env.Bus != "" {
		pub = bus.New(eventbridge.NewFromConfig(rt.AWS), rt.Env.Bus)
	}
	jobs := map[string]sweep.Job{
		sweep.JobHeartbeat: sweep.Heartbeat(rt.Logger, rt.Config.Deployment.StackName, time.Now),
		sweep.JobPosture: sweep.Posture(sweep.PostureClients{
			EC2:        ec2.NewFromConfig(rt.AWS),
			S3:         s3.NewFromConfig(rt.AWS),
			CloudTrail: cloudtrail.NewFromConfig(rt.AWS),
			Region:     rt.AWS.Region,
		}),
	}
	var reminders sweep.Job
	if rt.Env.Table != "" {
		reminders = sweep.Reminders(state.NewStore(dynamodb.NewFromConfig(rt.AWS), rt.Env.Table, time.Now), pub, rt.Logger, time.Now)
	} else {
		reminders = sweep.Reminders(nil, pub, rt.Logger, time.Now)
	}
	jobs[sweep.JobReminders] = reminders
	svc := sweep.New(jobs, pub, rt.Logger, time.Now)
	lambda.StartHandlerFunc(svc.Handle, lambda.WithEnableSIGTERM(func() { rt.Logger.Info("shutting down") }))
}
