// Command sweeper runs the scheduled jobs: the posture sweep and the heartbeat.
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
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/boot"
	"github.com/watchkeeper/watchkeeper/shared/bus"
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
	ec2Client := ec2.NewFromConfig(rt.AWS)
	autoAlarms := sweep.NewAutoAlarms(sweep.AutoAlarmClients{
		CloudWatch: cloudwatch.NewFromConfig(rt.AWS),
		EC2:        ec2Client,
		Lambda:     awslambda.NewFromConfig(rt.AWS),
		Region:     rt.AWS.Region,
		TopicARN:   rt.Env.AlarmTopic,
	}, rt.Config.Alarms.Profiles, rt.Logger)
	jobs := map[string]sweep.Job{
		sweep.JobReconcile: autoAlarms.Job(),
		sweep.JobHeartbeat: sweep.Heartbeat(rt.Logger, rt.Config.Deployment.StackName, time.Now),
		sweep.JobPosture: sweep.Posture(sweep.PostureClients{
			EC2:        ec2Client,
			S3:         s3.NewFromConfig(rt.AWS),
			CloudTrail: cloudtrail.NewFromConfig(rt.AWS),
			Region:     rt.AWS.Region,
		}),
	}
	svc := sweep.New(jobs, pub, rt.Logger, time.Now).HandleEvents(func(ctx context.Context, trig *alert.Trigger) error {
		_, err := autoAlarms.OnEvent(ctx, trig)
		return err
	})
	lambda.StartHandlerFunc(svc.Handle, lambda.WithEnableSIGTERM(func() { rt.Logger.Info("shutting down") }))
}
