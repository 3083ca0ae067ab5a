// `config print`: the configuration `run` would use — after ${env:}/${file:} references, the
// TRACEE_EXPORTER_* overlay and ELASTICSEARCH_* / OTEL_* variables — with the defaults filled in
// where they are known (the model's `default`s, src/config/model.ts, and the node), secrets masked.

import { stringify } from 'yaml';
import { mergedDelivery } from '../delivery/config-schema.ts';
import { segmentBytesOf } from '../delivery/disk-buffer/options.ts';
import { resolveOtlpOptions, type OtlpHttpOptions } from '../exporters/otlp-http/options.ts';
import { otlpHttpExporterSchema } from '../exporters/otlp-http/schema.ts';
import { camelOptions, snakeCase } from '../util/schema-type.ts';
import { detectNodeInfo } from './node-info.ts';
import { resolveTelemetryConfig, type RunConfig } from './run-config.ts';
import { deref, itemsOf, kindOf, propertiesOf, runConfigSchema, type Schema } from './schema-walk.ts';
import { maskSecrets, scrub } from './secrets.ts';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Fills schema `default`s into every object present (recursively, following the type branches). */
export function applySchemaDefaults(value: unknown, schema: Schema, root: Schema): unknown {
  const kind = kindOf(root, schema);
  if (kind === 'array' && Array.isArray(value))
    return value.map((v) => applySchemaDefaults(v, itemsOf(root, schema), root));
  if (kind !== 'object' || !isObj(value)) return value;
  // keys in schema order (type first, as in the examples), then any the schema does not know
  const props = propertiesOf(root, schema, value);
  const out: Json = {};
  for (const [k, s] of Object.entries(props)) {
    if (value[k] === undefined && 'default' in s) out[k] = s.default;
    else if (value[k] !== undefined) out[k] = applySchemaDefaults(value[k], s, root);
    else if (kindOf(root, s) === 'object' && !needsAKey(root, s)) {
      // a section left out whose keys have defaults (dataStream…); not one made only of off switches (tls),
      // nor one that cannot exist without a key the user gives (dead_letter needs its path): printed, it
      // would not load back
      const filled = applySchemaDefaults({}, s, root) as Json;
      if (Object.values(filled).some((v) => v !== false)) out[k] = filled;
    }
  }
  for (const [k, v] of Object.entries(value)) if (!(k in props) && v !== undefined) out[k] = v;
  return out;
}

/** Does this object schema require a key that has no default (absent, the section cannot be filled in)? */
function needsAKey(root: Schema, schema: Schema): boolean {
  const s = deref(root, schema);
  const required = Array.isArray(s.required) ? (s.required as string[]) : [];
  const props = propertiesOf(root, s, {});
  return required.some((k) => !(k in props) || !('default' in props[k]));
}

/** Every string holding a ${file:} content gets it masked, whatever its key (a URL or a header read from a secret file). */
function maskFileContents(value: unknown, contents: ReadonlySet<string>): unknown {
  if (typeof value === 'string') return [...contents].some((s) => value.includes(s)) ? scrub(value, contents) : value;
  if (Array.isArray(value)) return value.map((v) => maskFileContents(v, contents));
  if (isObj(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskFileContents(v, contents)]));
  return value;
}

/**
 * An exporter's delivery.buffer as `run` uses it: a memory buffer has no other key (max_bytes, fsync…
 * are the disk buffer's: `type: memory` over a top-level disk buffer leaves them merged but unused);
 * a disk buffer shows its keys, segment_bytes included (computed from max_bytes when not set).
 */
function effectiveBuffer(delivery: Json): void {
  const b = delivery.buffer;
  if (!isObj(b)) return;
  if (b.type !== 'disk') {
    delivery.buffer = { type: b.type ?? 'memory' };
    return;
  }
  if (b.segment_bytes === undefined && typeof b.max_bytes === 'number')
    b.segment_bytes = segmentBytesOf({ maxBytes: b.max_bytes });
}

export function effectiveConfig(
  config: RunConfig,
  env: NodeJS.ProcessEnv = process.env,
  fileSecrets: ReadonlySet<string> = new Set(),
): { config: Json; warnings: string[] } {
  const root = runConfigSchema();
  const warnings: string[] = [];
  const c = structuredClone(config) as unknown as Json;
  const node = detectNodeInfo(config.node ?? {}, env);
  c.node = Object.fromEntries(
    ['name', 'cluster_name', 'host_id', 'tracee_version'].filter((k) => node[k] !== undefined).map((k) => [k, node[k]]),
  );
  // each source kind's defaults are its schema's (filled in below)
  c.sources = config.sources ?? [{ type: 'stdin' }];
  const { telemetry, warnings: tw } = resolveTelemetryConfig(config, env);
  warnings.push(...tw);
  c.telemetry = {
    ...(config.telemetry ?? {}),
    ...(telemetry.listen ? { listen: telemetry.listen.text } : {}),
    log_interval_ms: telemetry.logIntervalMs,
    not_ready_after_retrying_ms: telemetry.notReadyAfterRetryingMs,
  };
  c.exporters = config.exporters.map((e) => {
    const out: Json = { ...e };
    // the delivery each exporter gets: its own over the top-level one (the schema's defaults below)
    out.delivery = mergedDelivery(config.delivery, e.delivery);
    if (e.type === 'otlp_http') {
      // OTEL_EXPORTER_OTLP_* as the exporter will see them
      const r = resolveOtlpOptions(camelOptions(otlpHttpExporterSchema, e) as OtlpHttpOptions, env, (m) =>
        warnings.push(m),
      );
      if (out.endpoint === undefined && out.logs_endpoint === undefined) out.logs_endpoint = r.url;
      if (Object.keys(r.headers).length > 0) out.headers = { ...r.headers };
      out.compression = r.compression;
      out.timeout_ms = r.timeoutMs;
      out.protocol = r.protocol;
      const tls = Object.fromEntries(
        Object.entries(r.tls)
          .filter(([, v]) => v !== undefined && v !== false)
          .map(([k, v]) => [snakeCase(k), v]),
      );
      if (Object.keys(tls).length > 0) out.tls = tls;
      out.service_name = r.resourceOverrides['service.name'] ?? r.resourceDefaults['service.name'];
      const attrs = Object.fromEntries(Object.entries(r.resourceOverrides).filter(([k]) => k !== 'service.name'));
      if (Object.keys(attrs).length > 0) out.resource_attributes = attrs;
    }
    return out;
  });
  const withDefaults = applySchemaDefaults(c, root, root) as Json;
  delete withDefaults.delivery; // merged into every exporter's delivery above
  for (const e of withDefaults.exporters as Json[]) if (isObj(e.delivery)) effectiveBuffer(e.delivery);
  const masked = maskSecrets(withDefaults) as Json;
  return { config: fileSecrets.size > 0 ? (maskFileContents(masked, fileSecrets) as Json) : masked, warnings };
}

export function effectiveConfigYaml(
  config: RunConfig,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
  fileSecrets?: ReadonlySet<string>,
): { text: string; warnings: string[] } {
  const { config: c, warnings } = effectiveConfig(config, env, fileSecrets);
  const header = `# effective configuration of ${source} (environment applied, defaults filled in, top-level delivery merged into each exporter, secrets masked)\n`;
  return { text: header + stringify(c, { lineWidth: 0 }), warnings };
}
