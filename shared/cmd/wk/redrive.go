package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/watchkeeper/watchkeeper/shared/redrive"
)

// runRedrive replays a deployed function's on-failure queue, with the
// caller's AWS credentials and region (the usual SDK environment).
func runRedrive(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wk redrive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fn := fs.String("fn", "", "function whose on-failure queue to replay: notifier, remediator, detector, sweeper (required)")
	stack := fs.String("stack", "Watchkeeper", "CloudFormation stack name (deployment.stack_name)")
	limit := fs.Int("limit", 0, "replay at most this many messages (0: all)")
	if err := fs.Parse(args); err != nil {
		return exitHarness
	}
	if *fn == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "wk redrive: -fn is required and takes no arguments")
		return exitHarness
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "wk redrive: AWS config: %v\n", err)
		return exitHarness
	}
	target, err := redrive.Resolve(ctx, cloudformation.NewFromConfig(cfg), *stack, *fn)
	if err != nil {
		fmt.Fprintf(stderr, "wk redrive: %v\n", err)
		return exitHarness
	}
	res, err := redrive.Run(ctx, sqs.NewFromConfig(cfg), lambda.NewFromConfig(cfg), target, *limit)
	fmt.Fprintf(stdout, "%s: replayed %d, failed %d (failed messages stay on %s)\n", target.FunctionName, res.Replayed, res.Failed, target.QueueURL)
	if err != nil {
		fmt.Fprintf(stderr, "wk redrive: %v\n", err)
		return exitFunctionError
	}
	return exitOK
}
