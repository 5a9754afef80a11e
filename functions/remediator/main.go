// Command remediator applies the configured remediation rules to alarms,
// events and findings: dry-run by default, guarded, audited.
package main

import (
	"context"
	"fmt"
	"os"
	"time"
	_ "time/tzdata" // provided.al2023 has no zoneinfo

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/watchkeeper/watchkeeper/shared/boot"
	"github.com/watchkeeper/watchkeeper/shared/bus"
	"github.com/watchkeeper/watchkeeper/shared/remediate"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

func main() {
	ctx := context.Background()
	rt, err := boot.Start(ctx, "remediator", os.LookupEnv, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "remediator: %v\n", err)
		os.Exit(1)
	}
	deps := remediate.Deps{
		KillSwitch: remediate.NewSSMKillSwitch(ssm.NewFromConfig(rt.AWS), rt.Config.Remediation.KillSwitchParameter, time.Now),
		Now:        time.Now,
		Logger:     rt.Logger,
	}
	stsClient := sts.NewFromConfig(rt.AWS)
	if deps.Identity, err = remediate.WhoAmI(ctx, stsClient); err != nil {
		fmt.Fprintf(os.Stderr, "remediator: %v\n", err)
		os.Exit(1)
	}
	if ca := rt.Config.Remediation.CrossAccount; len(ca.Accounts) > 0 {
		deps.Accounts = remediate.NewCrossAccount(rt.AWS, stsClient, ca)
	}
	if rt.Env.Table != "" {
		db := dynamodb.NewFromConfig(rt.AWS)
		deps.Audit = state.NewStore(db, rt.Env.Table, time.Now)
		deps.Counter = remediate.NewTableCounter(db, rt.Env.Table)
	} else {
		rt.Logger.Warn("no state table configured: decisions are not audited and redeliveries are not detected")
	}
	if rt.Env.Bus != "" {
		deps.Publisher = bus.New(eventbridge.NewFromConfig(rt.AWS), rt.Env.Bus)
	}
	svc, err := remediate.New(rt.Config, remediate.Default(), remediate.NewClients(rt.AWS), deps)
	if err != nil {
		fmt.Fprintf(os.Stderr, "remediator: %v\n", err)
		os.Exit(1)
	}
	lambda.StartHandlerFunc(svc.Handle, lambda.WithEnableSIGTERM(func() { rt.Logger.Info("shutting down") }))
}
