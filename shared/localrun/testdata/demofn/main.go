// Command demofn stands in for a Watchkeeper function in the demo's own
// test: it answers with the outcome.Response its event carries, after doing
// for real what the event asks (write a message file into the demo's out
// dir, revoke a world-open SSH rule in the account its AWS_ENDPOINT_URL
// points at), so the test sees the whole demo pipeline work.
// It lives under testdata so `go build ./...` skips it; build it by path.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/watchkeeper/watchkeeper/shared/outcome"
)

type event struct {
	Response outcome.Response `json:"response"`
	// Write names a file to create in WATCHKEEPER_OUT_DIR for each delivery.
	Write string `json:"write"`
	// RevokeSSH is a security group whose 0.0.0.0/0:22 rule to remove.
	RevokeSSH string `json:"revoke_ssh"`
	// Fail makes the function fail with this message.
	Fail string `json:"fail"`
}

func handle(ctx context.Context, ev event) (outcome.Response, error) {
	if ev.Fail != "" {
		return outcome.Response{}, errors.New(ev.Fail)
	}
	resp := ev.Response
	resp.Function = os.Getenv("WATCHKEEPER_FUNCTION")
	if ev.Write != "" {
		dir := os.Getenv("WATCHKEEPER_OUT_DIR")
		if dir == "" {
			return resp, errors.New("WATCHKEEPER_OUT_DIR is not set")
		}
		path := filepath.Join(dir, ev.Write)
		if err := os.WriteFile(path, []byte("rendered by demofn\n"), 0o644); err != nil {
			return resp, fmt.Errorf("write message: %w", err)
		}
		for i := range resp.Deliveries {
			resp.Deliveries[i].Location = path
		}
	}
	if ev.RevokeSSH != "" {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return resp, fmt.Errorf("aws config: %w", err)
		}
		_, err = ec2.NewFromConfig(cfg).RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{
			GroupId: aws.String(ev.RevokeSSH),
			IpPermissions: []ec2types.IpPermission{{
				IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
				IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}},
			}},
		})
		if err != nil {
			return resp, fmt.Errorf("revoke ssh on %s: %w", ev.RevokeSSH, err)
		}
	}
	return resp, nil
}

func main() {
	// Fail at init, like a real function, when the harness did not give a config.
	if _, err := os.Stat(os.Getenv("WATCHKEEPER_CONFIG")); err != nil {
		fmt.Fprintln(os.Stderr, "demofn: config:", err)
		os.Exit(1)
	}
	lambda.Start(handle)
}
