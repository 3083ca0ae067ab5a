#!/usr/bin/env node
// tracee-exporter command line: `map` (show the mapping) and `run` (the pipeline).

import { Command, Option } from 'commander';
import { compileMapper } from '../mapping/compile.ts';
import { loadMappingTables, readTableFile } from '../mapping/load.ts';
import { loadRedactTable, redactPlan, withRedaction } from '../mapping/redact.ts';
import { mapNodeInfo, runMap, type MapTarget } from './map-command.ts';
import type { ConfigCommandIO } from './config-command.ts';
import { EXPORTER_VERSION } from '../version.ts';
import { redact } from '../config/secrets.ts';
import {
  configureLog,
  isLogFormat,
  isLogLevel,
  LOG_FORMATS,
  LOG_LEVELS,
  rootLogger,
  type LogFormat,
  type LogLevel,
} from '../util/log.ts';

// every log line of every command goes through redact (src/config/secrets.ts)
configureLog({ redact: (t) => redact(t) });

const program = new Command();
program
  .name('tracee-exporter')
  .description('Ship Tracee security events to OpenTelemetry (OTLP) and Elasticsearch (ECS).')
  .version(EXPORTER_VERSION)
  .showHelpAfterError();

program
  .command('map')
  .description(
    'Map Tracee events (NDJSON, a JSON event or a JSON array) and print one result per event, in input order.',
  )
  .addOption(
    new Option('--to <target>', 'what to print')
      .choices(['ecs', 'otlp-json', 'otlp-json-request', 'event'])
      .default('ecs'),
  )
  .argument('[file]', 'input file, or - for stdin', '-')
  .option(
    '--node-name <name>',
    'node (host) name for host.name / observer.hostname / k8s.node.name (default: none; map takes nothing from this machine)',
  )
  .option('--cluster-name <name>', 'Kubernetes cluster name (default: none)')
  .option('--mapping <file...>', 'extra mapping table(s) overriding the built-in ones (see mappings/README.md)')
  .option('--max-line-bytes <n>', 'longest accepted input line', (v) => Number(v), 4 * 1024 * 1024)
  .option(
    '--redact <setting>',
    "sensitive event fields replaced, as an exporter's redact: none, default, or a comma-separated list (mappings/redact.yaml)",
    'default',
  )
  .addHelpText(
    'after',
    `
Examples:
  tracee --output json | tracee-exporter map --to ecs
  tracee-exporter map --to otlp-json events.ndjson
  tracee-exporter map --to event old-capture.json > structured.ndjson   # classic → structured schema
  tracee-exporter map --mapping my-cluster.yaml --cluster-name prod events.ndjson

Bad lines are reported on stderr as "<source>:<line>: rejected: <reason>" and skipped; the run
ends with "mapped N, rejected M" on stderr and exits 1 if anything was rejected.`,
  )
  .action(
    async (
      file: string,
      opts: {
        to: MapTarget;
        nodeName?: string;
        clusterName?: string;
        mapping?: string[];
        maxLineBytes: number;
        redact: string;
      },
    ) => {
      const overrides = (opts.mapping ?? []).map((f) => readTableFile(f));
      const setting =
        opts.redact === 'none' || opts.redact === 'default'
          ? opts.redact
          : opts.redact
              .split(',')
              .map((s) => s.trim())
              .filter((s) => s !== '');
      // what an exporter with that `redact:` would ship (default: as every exporter by default)
      const mapper = withRedaction(
        compileMapper(loadMappingTables(undefined, overrides), { node: mapNodeInfo(opts) }),
        redactPlan(setting, loadRedactTable(), '--redact'),
      );
      const summary = await runMap({
        to: opts.to,
        input: file,
        mapper,
        out: process.stdout,
        err: process.stderr,
        maxLineBytes: opts.maxLineBytes,
      });
      process.stderr.write(`mapped ${summary.mapped}, rejected ${summary.rejected}\n`);
      process.exitCode = summary.rejected > 0 ? 1 : 0;
    },
  );

program
  .command('run')
  .description(
    'Run the pipeline: read Tracee events from the configured sources, map them, and deliver them to every configured exporter.',
  )
  .option(
    '--config <file>',
    'YAML configuration (see examples/config/); default $TRACEE_EXPORTER_CONFIG, else the environment alone (docs/configuration.md)',
  )
  .option(
    '--shutdown-timeout <ms>',
    'on SIGTERM/SIGINT or end of input, how long to wait for deliveries',
    (v) => Number(v),
    30_000,
  )
  .addOption(
    new Option(
      '--log-format <format>',
      "log lines on stderr as text or JSON (default: the config's log.format, else text; docs/logging.md)",
    ).choices(LOG_FORMATS),
  )
  .addOption(
    new Option('--log-level <level>', "lowest level logged (default: the config's log.level, else info)").choices(
      LOG_LEVELS,
    ),
  )
  .addHelpText(
    'after',
    `
Examples:
  tracee --output json | tracee-exporter run --config examples/config/console.yaml
  tracee-exporter run --config examples/config/otlp.yaml            # OTLP/HTTP to a collector
  tracee-exporter run --config examples/config/elasticsearch.yaml   # ECS into Elasticsearch data streams

Config: version: 1, sources (stdin | file), exporters (console | otlp_http | elasticsearch | kafka | module,
each with its own filter, trim and delivery: queue, batch, retry; docs/exporters/filters.md,
plugins.md), dead_letter.path, mapping overrides, telemetry (listen: the
/metrics, /healthz, /readyz server; log_interval_ms: progress line; see docs/telemetry.md), log (format: text or
json, level; docs/logging.md).
\${env:NAME} and \${file:/path} are replaced; every setting can also come from TRACEE_EXPORTER_<KEY>__<KEY>
variables (docs/configuration.md); TRACEE_EXPORTER_TELEMETRY_LISTEN=host:port turns the telemetry server on.
Check a configuration first: tracee-exporter config check FILE; see the effective one: config print FILE.
Exit status 0 when every event was delivered; 1 if any input was rejected or any event not delivered.`,
  )
  .action(async (opts: { config?: string; shutdownTimeout: number; logFormat?: LogFormat; logLevel?: LogLevel }) => {
    // the flags (else TRACEE_EXPORTER_LOG__*) apply before the config is read: an error loading it is logged in that format
    const env = process.env;
    configureLog({
      format:
        opts.logFormat ?? (isLogFormat(env.TRACEE_EXPORTER_LOG__FORMAT) ? env.TRACEE_EXPORTER_LOG__FORMAT : undefined),
      level: opts.logLevel ?? (isLogLevel(env.TRACEE_EXPORTER_LOG__LEVEL) ? env.TRACEE_EXPORTER_LOG__LEVEL : undefined),
    });
    // loaded here: the pipeline's exporters and sources (HTTP, gRPC, protobuf) are not needed by map
    const { runCommand } = await import('./run-command.ts');
    process.exitCode = await runCommand(opts.config, {
      shutdownTimeoutMs: opts.shutdownTimeout,
      logFormat: opts.logFormat,
      logLevel: opts.logLevel,
    });
  });

/** `config check|print`: the checks load every exporter and source module, so only when asked. */
function registerConfigCommand(program: Command): void {
  const config = program
    .command('config')
    .description(
      'Check a configuration, or print the effective one (environment applied, defaults filled in, secrets masked).',
    );
  const io: ConfigCommandIO = {
    out: (t) => process.stdout.write(redact(t)),
    err: (t) => process.stderr.write(redact(t)),
  };
  config
    .command('check')
    .description(
      'Validate FILE as `run` would at start-up, without connecting anywhere: exit 0 and "ok" with a summary, or 1 and the error. Exporter modules (plugins: code) are not imported unless --load-plugins.',
    )
    .argument('[file]', 'YAML configuration (default: $TRACEE_EXPORTER_CONFIG, else the environment alone)')
    .option(
      '--load-plugins',
      "import every `type: module` exporter and build it from its options (not started): runs the plugin's code",
    )
    .action(async (file: string | undefined, opts: { loadPlugins?: boolean }) => {
      const { runConfigCheck } = await import('./config-command.ts');
      process.exitCode = await runConfigCheck(file, io, { loadPlugins: opts.loadPlugins === true });
    });
  config
    .command('print')
    .description(
      'Print the effective configuration as YAML: ${env:}/${file:} resolved, TRACEE_EXPORTER_*, ELASTICSEARCH_* and OTEL_* applied, defaults filled in, secrets masked.',
    )
    .argument('[file]', 'YAML configuration (default: $TRACEE_EXPORTER_CONFIG, else the environment alone)')
    .action(async (file: string | undefined) => {
      const { runConfigPrint } = await import('./config-command.ts');
      process.exitCode = runConfigPrint(file, io);
    });
}

registerConfigCommand(program);

program
  .command('replay')
  .description(
    'Send dead-lettered events again, to the exporters they failed for, re-mapped from the stored input (docs/delivery.md "Replaying the dead letter").',
  )
  .argument(
    '<dead-letter...>',
    'dead-letter files or globs (rotated files too: dl.ndjson dl.ndjson.1 …, or "dl.ndjson*")',
  )
  .option('--exporter <name>', 'only the entries of this exporter ("input": only the input rejections)')
  .option(
    '--config <file>',
    'YAML configuration with the exporters (default $TRACEE_EXPORTER_CONFIG, else the environment alone)',
  )
  .option(
    '--out <file>',
    'new dead letter for what still fails (default <first file>.replay-<time>.ndjson; never one being read)',
  )
  .option('--shutdown-timeout <ms>', 'how long to wait for the deliveries at the end', (v) => Number(v), 30_000)
  .addHelpText(
    'after',
    `
Prints one line per exporter and "replayed N, still failing M"; exit 0 when nothing still fails.
Input rejections (exporter "input") are decoded again and, when valid now, go to every exporter.
Idempotent for Elasticsearch: an event already stored answers 409 and counts as a duplicate.`,
  )
  .action(
    async (files: string[], opts: { exporter?: string; config?: string; out?: string; shutdownTimeout: number }) => {
      const { replayCommand } = await import('./replay-command.ts');
      process.exitCode = await replayCommand(files, opts);
    },
  );

program.parseAsync(process.argv).catch((err: Error) => {
  rootLogger.error(err.message, { component: 'cli' });
  process.exitCode = 2;
});
