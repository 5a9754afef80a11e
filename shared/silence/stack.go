package silence

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// StackTableOutput is the stack output naming the state table (infra declares it).
const StackTableOutput = "StateTableName"

// stackReader is the part of the CloudFormation client TableFromStack uses.
type stackReader interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

var _ stackReader = (*cloudformation.Client)(nil)

// TableFromStack returns the state table's name from the outputs of stack.
func TableFromStack(ctx context.Context, cfn stackReader, stack string) (string, error) {
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		return "", fmt.Errorf("describe stack %s: %w", stack, err)
	}
	if len(out.Stacks) != 1 {
		return "", fmt.Errorf("stack %s: found %d stacks", stack, len(out.Stacks))
	}
	for _, o := range out.Stacks[0].Outputs {
		if aws.ToString(o.OutputKey) == StackTableOutput && aws.ToString(o.OutputValue) != "" {
			return aws.ToString(o.OutputValue), nil
		}
	}
	return "", fmt.Errorf("stack %s has no output %s (is it a Watchkeeper stack? or pass -table)", stack, StackTableOutput)
}
