package store

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

// ReadThroughput returns a container's provisioned throughput.
func ReadThroughput(ctx context.Context, cc *azcosmos.ContainerClient) (Throughput, error) {
	resp, err := cc.ReadThroughput(ctx, nil)
	if err != nil {
		return Throughput{}, fmt.Errorf("read throughput of %s: %w", cc.ID(), err)
	}
	tp := resp.ThroughputProperties
	if tp == nil {
		return Throughput{}, fmt.Errorf("read throughput of %s: no offer returned", cc.ID())
	}
	if ru, ok := tp.AutoscaleMaxThroughput(); ok {
		return Throughput{Mode: ModeAutoscale, RU: ru}, nil
	}
	ru, _ := tp.ManualThroughput()
	return Throughput{Mode: ModeManual, RU: ru}, nil
}

// ReplaceThroughput sets a container's throughput.
func ReplaceThroughput(ctx context.Context, cc *azcosmos.ContainerClient, tp Throughput) error {
	if err := tp.Validate(); err != nil {
		return err
	}
	if _, err := cc.ReplaceThroughput(ctx, tp.properties(), nil); err != nil {
		return fmt.Errorf("replace throughput of %s to %d: %w", cc.ID(), tp.RU, err)
	}
	return nil
}
