// Package redrive replays a function's failed invocations: it reads the
// function's on-failure queue, invokes the function again asynchronously with
// each original payload, and deletes a message only once its replay was
// accepted, so nothing is lost if the replay itself fails.
package redrive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

type queue interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

type invoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

type stackReader interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

var (
	_ queue       = (*sqs.Client)(nil)
	_ invoker     = (*lambda.Client)(nil)
	_ stackReader = (*cloudformation.Client)(nil)
)

// Target is what to replay: a function and its on-failure queue.
type Target struct {
	FunctionName string
	QueueURL     string
}

// Resolve finds the function and queue of fn ("notifier", …) in the outputs
// of stack: <Fn>FunctionName and <Fn>FailureQueueUrl, as infra declares them.
func Resolve(ctx context.Context, cfn stackReader, stack, fn string) (Target, error) {
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		return Target{}, fmt.Errorf("describe stack %s: %w", stack, err)
	}
	if len(out.Stacks) != 1 {
		return Target{}, fmt.Errorf("stack %s: found %d stacks", stack, len(out.Stacks))
	}
	id := outputID(fn)
	var t Target
	for _, o := range out.Stacks[0].Outputs {
		switch aws.ToString(o.OutputKey) {
		case id + "FunctionName":
			t.FunctionName = aws.ToString(o.OutputValue)
		case id + "FailureQueueUrl":
			t.QueueURL = aws.ToString(o.OutputValue)
		}
	}
	if t.FunctionName == "" || t.QueueURL == "" {
		return Target{}, fmt.Errorf("stack %s has no outputs %sFunctionName and %sFailureQueueUrl: is %q one of its functions?", stack, id, id, fn)
	}
	return t, nil
}

func outputID(fn string) string {
	if fn == "" {
		return ""
	}
	return strings.ToUpper(fn[:1]) + fn[1:]
}

// Result counts what a redrive did.
type Result struct {
	Replayed int
	Failed   int
}

// maxBatch is SQS's ReceiveMessage maximum.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
const maxBatch = 10

// Run replays up to limit messages (0: until the queue is empty). A message
// whose replay fails stays on the queue (it becomes visible again) and is
// counted in Failed; Run goes on with the others.
func Run(ctx context.Context, q queue, lam invoker, t Target, limit int) (Result, error) {
	var res Result
	var errs []error
	seen := map[string]bool{}
	for limit == 0 || res.Replayed+res.Failed < limit {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(t.QueueURL),
			MaxNumberOfMessages: maxBatch,
			WaitTimeSeconds:     1,
			VisibilityTimeout:   60,
		})
		if err != nil {
			return res, fmt.Errorf("receive from %s: %w", t.QueueURL, err)
		}
		if len(out.Messages) == 0 {
			break
		}
		progress := false
		for _, m := range out.Messages {
			id := aws.ToString(m.MessageId)
			if seen[id] {
				continue // failed earlier in this run and visible again
			}
			seen[id] = true
			progress = true
			payload, err := Payload([]byte(aws.ToString(m.Body)))
			if err == nil {
				err = replay(ctx, lam, t.FunctionName, payload)
			}
			if err == nil {
				_, err = q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(t.QueueURL), ReceiptHandle: m.ReceiptHandle})
			}
			if err != nil {
				res.Failed++
				errs = append(errs, fmt.Errorf("message %s: %w", id, err))
				continue
			}
			res.Replayed++
		}
		if !progress {
			break
		}
	}
	return res, errors.Join(errs...)
}

func replay(ctx context.Context, lam invoker, fn string, payload []byte) error {
	out, err := lam.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(fn),
		InvocationType: lambdatypes.InvocationTypeEvent,
		Payload:        payload,
	})
	if err != nil {
		return fmt.Errorf("invoke %s: %w", fn, err)
	}
	if out.StatusCode != 202 {
		return fmt.Errorf("invoke %s: status %d", fn, out.StatusCode)
	}
	return nil
}

// Payload extracts the original event from a queued message: the
// requestPayload of a Lambda on-failure invocation record, or the message
// itself (what an EventBridge target dead-letter queue holds).
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
func Payload(body []byte) ([]byte, error) {
	var rec struct {
		RequestContext *struct {
			FunctionArn string `json:"functionArn"`
		} `json:"requestContext"`
		RequestPayload json.RawMessage `json:"requestPayload"`
	}
	if err := json.Unmarshal(body, &rec); err != nil {
		return nil, fmt.Errorf("message is not JSON: %w", err)
	}
	if rec.RequestContext != nil && len(rec.RequestPayload) > 0 {
		return rec.RequestPayload, nil
	}
	return body, nil
}
