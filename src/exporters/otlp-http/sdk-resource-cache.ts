// One OpenTelemetry `Resource` object per workload. The OTel JS serializers group records into
// ResourceLogs by Resource object identity, so every record of one workload must carry the same
// object. Primary lookup: a WeakMap keyed by the mapper's OtelResource object (the mapper keeps its
// identity stable). Fallback: a bounded LRU by `OtelResource.key`, for when the mapper hands a new
// object for a known workload (e.g. after its own cache evicted it).
//
// Attribute layers, lowest to highest: exporter defaults (service.name=tracee) < the workload's
// attributes < operator-configured attributes (explicit options, OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME).

import { resourceFromAttributes } from '@opentelemetry/resources';
import type { Resource } from '@opentelemetry/resources';
import type { AttrValue, OtelResource } from '../../model/records.ts';

type SimpleValue = string | number | boolean | Array<string | number | boolean>;

export interface SdkResourceCache {
  get(res: OtelResource): Resource;
  /** Number of workloads in the key fallback. */
  readonly size: number;
}

export interface SdkResourceCacheOptions {
  defaults: Readonly<Record<string, AttrValue>>;
  overrides: Readonly<Record<string, AttrValue>>;
  /** Bound of the key fallback. Default 10_000 workloads. */
  maxEntries?: number;
}

/**
 * Resource attributes must be "simple" for @opentelemetry/resources (scalars and homogeneous scalar
 * arrays); it drops anything else with a diag warning. We keep such values as their JSON text instead.
 */
export function toSimpleValue(v: AttrValue): SimpleValue {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v) && v.length > 0) {
    const t = typeof v[0];
    if ((t === 'string' || t === 'number' || t === 'boolean') && v.every((x) => typeof x === t)) {
      return v as Array<string | number | boolean>;
    }
  }
  if (Array.isArray(v) && v.length === 0) return [] as string[];
  return JSON.stringify(v);
}

export function createSdkResourceCache(opts: SdkResourceCacheOptions): SdkResourceCache {
  const maxEntries = opts.maxEntries ?? 10_000;
  const byObject = new WeakMap<OtelResource, Resource>();
  const byKey = new Map<string, Resource>();

  function build(res: OtelResource): Resource {
    const attrs: Record<string, SimpleValue> = {};
    for (const [k, v] of Object.entries(opts.defaults)) attrs[k] = toSimpleValue(v);
    for (const [k, v] of Object.entries(res.attributes)) attrs[k] = toSimpleValue(v);
    for (const [k, v] of Object.entries(opts.overrides)) attrs[k] = toSimpleValue(v);
    return resourceFromAttributes(attrs);
  }

  return {
    get(res: OtelResource): Resource {
      const hit = byObject.get(res);
      if (hit !== undefined) return hit;
      let r = byKey.get(res.key);
      if (r !== undefined) {
        byKey.delete(res.key); // refresh LRU position
      } else {
        r = build(res);
        if (byKey.size >= maxEntries) byKey.delete(byKey.keys().next().value!);
      }
      byKey.set(res.key, r);
      byObject.set(res, r);
      return r;
    },
    get size() {
      return byKey.size;
    },
  };
}
