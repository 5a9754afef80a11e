package remediate

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// memoryASG answers DescribeAutoScalingGroups from memory, so the benchmark
// measures the service (parse, match, target, plan, record) rather than a
// network round trip.
type memoryASG struct{ group astypes.AutoScalingGroup }

func (m memoryASG) DescribeAutoScalingGroups(context.Context, *autoscaling.DescribeAutoScalingGroupsInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error) {
	return &autoscaling.DescribeAutoScalingGroupsOutput{AutoScalingGroups: []astypes.AutoScalingGroup{m.group}}, nil
}

func (memoryASG) SetDesiredCapacity(context.Context, *autoscaling.SetDesiredCapacityInput, ...func(*autoscaling.Options)) (*autoscaling.SetDesiredCapacityOutput, error) {
	panic("dry-run must not set capacity")
}

func BenchmarkHandleDryRun(b *testing.B) {
	payload := sampleEvent(b, "sns-alarm-cpu.json")
	cfg := remediationConfig(config.ModeDryRun, scaleOnCPU, closeSSH)
	run := func(b *testing.B, svc *Service) {
		b.ReportAllocs()
		for b.Loop() {
			resp, err := svc.Handle(context.Background(), payload)
			if err != nil || len(resp.Remediations) != 1 {
				b.Fatalf("%+v, %v", resp, err)
			}
		}
	}
	b.Run("memory", func(b *testing.B) {
		asg := memoryASG{group: astypes.AutoScalingGroup{AutoScalingGroupName: aws.String("web-asg"),
			MinSize: aws.Int32(1), DesiredCapacity: aws.Int32(2), MaxSize: aws.Int32(6)}}
		svc, err := New(cfg, Default(), Clients{Region: testRegion, AutoScaling: asg}, Deps{})
		if err != nil {
			b.Fatal(err)
		}
		run(b, svc)
	})
	b.Run("moto", func(b *testing.B) {
		env := startMoto(b)
		env.seedASG(b, "web-asg", 1, 2, 6, nil)
		svc, err := New(cfg, Default(), env.clients(), Deps{})
		if err != nil {
			b.Fatal(err)
		}
		run(b, svc)
	})
}
