package main

// A validation-only STAND-IN for the contrib elasticsearch exporter.
//
// The Go module proxy reachable from CI does not serve
// github.com/open-telemetry/opentelemetry-collector-contrib/exporter/elasticsearchexporter
// (@v/list 404; v0.161.0 .zip 403 "This module version is not available"; v0.160.0 and v0.149.0
// .info 404), so the real exporter cannot be compiled in. This stand-in registers the component
// type `elasticsearch` so that `otelcol-contrib-test validate` can check everything else in
// examples/collector/otlp-to-elasticsearch.yaml (YAML, env expansion, receivers, processors,
// pipeline wiring). Of the exporter's own settings it checks only what is cheap and documented:
// exactly one of endpoint / endpoints / cloudid (or ELASTICSEARCH_URL) and a known mapping.mode.
// Every other key is accepted unchecked. Starting a pipeline that uses it fails on purpose.

import (
	"context"
	"errors"
	"fmt"
	"os"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
)

var esStandInType = component.MustNewType("elasticsearch")

type esStandInConfig struct {
	settings map[string]any
}

// Unmarshal keeps the raw settings instead of decoding them into the (unavailable) real struct.
func (c *esStandInConfig) Unmarshal(conf *confmap.Conf) error {
	c.settings = conf.ToStringMap()
	return nil
}

func (c *esStandInConfig) Validate() error {
	set := 0
	for _, k := range []string{"endpoint", "endpoints", "cloudid"} {
		v, ok := c.settings[k]
		if !ok || v == nil || v == "" {
			continue
		}
		if l, isList := v.([]any); isList && len(l) == 0 {
			continue
		}
		set++
	}
	if set > 1 {
		return errors.New("elasticsearch (stand-in): specify only one of endpoint, endpoints, cloudid")
	}
	if set == 0 && os.Getenv("ELASTICSEARCH_URL") == "" {
		return errors.New("elasticsearch (stand-in): one of endpoint, endpoints, cloudid (or ELASTICSEARCH_URL) is required")
	}
	if m, ok := c.settings["mapping"].(map[string]any); ok {
		if mode, ok := m["mode"]; ok {
			switch mode {
			case "", "none", "no", "ecs", "otel", "raw", "bodymap":
			default:
				return fmt.Errorf("elasticsearch (stand-in): unknown mapping mode %v", mode)
			}
		}
	}
	return nil
}

type esStandIn struct{}

func (esStandIn) Start(context.Context, component.Host) error {
	return errors.New("this collector has only a validation stand-in for the elasticsearch exporter; " +
		"use a collector distribution that contains the real one (e.g. otelcol-contrib)")
}
func (esStandIn) Shutdown(context.Context) error      { return nil }
func (esStandIn) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }
func (esStandIn) ConsumeLogs(context.Context, plog.Logs) error {
	return errors.New("elasticsearch stand-in")
}

func newElasticsearchStandInFactory() exporter.Factory {
	return exporter.NewFactory(esStandInType,
		func() component.Config { return &esStandInConfig{} },
		exporter.WithLogs(func(context.Context, exporter.Settings, component.Config) (exporter.Logs, error) {
			return esStandIn{}, nil
		}, component.StabilityLevelDevelopment),
	)
}
