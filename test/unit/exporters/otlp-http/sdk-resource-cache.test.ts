import { describe, expect, it } from 'vitest';
import { createSdkResourceCache, toSimpleValue } from '../../../../src/exporters/otlp-http/sdk-resource-cache.ts';
import type { OtelResource } from '../../../../src/model/records.ts';

const res = (key: string, attributes: OtelResource['attributes'] = { 'k8s.pod.name': key }): OtelResource => ({
  key,
  attributes,
});

describe('createSdkResourceCache', () => {
  it('returns the same Resource object for the same OtelResource object', () => {
    const c = createSdkResourceCache({ defaults: {}, overrides: {} });
    const w = res('a');
    expect(c.get(w)).toBe(c.get(w));
  });

  it('falls back to the key for a new object of a known workload', () => {
    const c = createSdkResourceCache({ defaults: {}, overrides: {} });
    const first = c.get(res('a'));
    expect(c.get(res('a'))).toBe(first);
    expect(c.get(res('b'))).not.toBe(first);
  });

  it('layers defaults < workload < operator overrides', () => {
    const c = createSdkResourceCache({
      defaults: { 'service.name': 'tracee', 'x.default': 'd' },
      overrides: { 'deployment.environment.name': 'prod', 'x.clash': 'operator' },
    });
    const r = c.get(res('a', { 'service.name': 'from-mapper', 'x.clash': 'workload', 'host.name': 'n1' }));
    expect(r.attributes).toEqual({
      'service.name': 'from-mapper',
      'x.default': 'd',
      'x.clash': 'operator',
      'host.name': 'n1',
      'deployment.environment.name': 'prod',
    });
    expect(c.get(res('b', { 'host.name': 'n1' })).attributes['service.name']).toBe('tracee');
  });

  it('bounds the key fallback (LRU) without breaking identity hits', () => {
    const c = createSdkResourceCache({ defaults: {}, overrides: {}, maxEntries: 2 });
    const a = res('a');
    const ra = c.get(a);
    c.get(res('b'));
    c.get(res('c'));
    expect(c.size).toBe(2);
    expect(c.get(a)).toBe(ra); // WeakMap still knows the object
    expect(c.get(res('a'))).not.toBe(ra); // key entry was evicted: rebuilt
  });

  it('keeps complex values as JSON text instead of letting @opentelemetry/resources drop them', () => {
    expect(toSimpleValue({ a: 1 })).toBe('{"a":1}');
    expect(toSimpleValue([1, 'x'])).toBe('[1,"x"]');
    expect(toSimpleValue(['a', 'b'])).toEqual(['a', 'b']);
    expect(toSimpleValue(7)).toBe(7);
    const c = createSdkResourceCache({ defaults: {}, overrides: {} });
    expect(c.get(res('a', { 'k8s.pod.labels': { app: 'web' } })).attributes['k8s.pod.labels']).toBe('{"app":"web"}');
  });
});
