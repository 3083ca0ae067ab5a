// The Helm chart charts/tracee-exporter, rendered by a real helm (scripts/helm.sh builds it from its
// Go module, cached): lint, template with the defaults and every ci/*-values.yaml, every rendered
// object validated against the Kubernetes schemas (kubernetes-models), the rendered exporter
// configuration through the exporter's own `config check`, and the wiring between the objects.
// Needs no server and no cluster.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { checkConfigFile } from '../../src/config/check.ts';
import { ROOT } from '../helpers/samples.ts';

const CHART = path.join(ROOT, 'charts/tracee-exporter');
const VALUES = fs
  .readdirSync(path.join(CHART, 'ci'))
  .filter((f) => f.endsWith('-values.yaml'))
  .sort();
// Tracee's chart (aquasecurity/tracee deploy/helm/tracee, v0.24.1 and main) mounts this hostPath
// into its DaemonSet pod at the same path (templates/daemonset.yaml, volume tmp-tracee)
const TRACEE_HOST_DIR = '/tmp/tracee';

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: any;
};

const MODULES: Record<string, string> = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
};

let helm = '';
function runHelm(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(helm, args, { encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
function render(valuesFile?: string, extra: string[] = []): K8sObject[] {
  const args = [
    'template',
    'rel',
    CHART,
    '--namespace',
    'tracee-system',
    ...(valuesFile ? ['-f', path.join(CHART, 'ci', valuesFile)] : []),
    ...extra,
  ];
  const r = runHelm(args);
  expect(r.stderr, r.stderr).toBe('');
  expect(r.status).toBe(0);
  return parseAllDocuments(r.stdout)
    .map((d) => {
      expect(d.errors).toEqual([]);
      return d.toJS() as K8sObject;
    })
    .filter((o) => o !== null);
}
const rendered: Record<string, K8sObject[]> = {};

beforeAll(() => {
  helm = execFileSync('bash', [path.join(ROOT, 'scripts/helm.sh'), 'path'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  rendered.defaults = render();
  for (const v of VALUES) rendered[v] = render(v);
});

function one(objects: K8sObject[], kind: string): K8sObject {
  const hits = objects.filter((o) => o.kind === kind);
  expect(hits.map((o) => o.kind)).toEqual([kind]);
  return hits[0];
}
const exporterOf = (w: K8sObject) => w.spec.template.spec.containers.find((c: any) => c.name === 'tracee-exporter');
/** The soft memory limit as bin/tracee-exporter.js (capHeap) reads it from the config file: a top-level line. */
const memoryLimitLine = (configText: string) => /^memory_limit_mib:[ \t]*(\d+)[ \t]*(?:#.*)?$/m.exec(configText)?.[1];

/** The ConfigMap's config.yaml through `config check`, with the pod's environment and its secret files. */
function checkRenderedConfig(objects: K8sObject[]) {
  const workload = objects.find((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet')!;
  const pod = workload.spec.template.spec;
  const exporter = exporterOf(workload);
  const configMap = one(objects, 'ConfigMap');
  const configMount = exporter.volumeMounts.find((m: any) => m.mountPath === '/etc/tracee-exporter/config.yaml');
  expect(pod.volumes.find((v: any) => v.name === configMount.name).configMap.name).toBe(configMap.metadata.name);
  let text = configMap.data['config.yaml'] as string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'te-chart-'));
  // each Secret volume is mounted as a directory (no subPath: rotated Secrets reach the pod), 0440;
  // its keys become made-up files in a local directory standing in for the mount
  const secretValues: Record<string, string> = {};
  const secretDirs: string[] = [];
  for (const mount of exporter.volumeMounts) {
    const volume = pod.volumes.find((v: any) => v.name === mount.name);
    if (!volume.secret) continue;
    expect(volume.secret.secretName).toMatch(/\w/);
    expect(mount.subPath).toBeUndefined();
    expect(mount.readOnly).toBe(true);
    expect(volume.secret.defaultMode).toBe(0o440);
    const local = path.join(dir, mount.name);
    fs.mkdirSync(local);
    for (const item of volume.secret.items) {
      secretValues[`${mount.mountPath}/${item.path}`] = `made-up-${item.key}`;
      fs.writeFileSync(path.join(local, item.path), `made-up-${item.key}\n`);
    }
    secretDirs.push(mount.mountPath);
    text = text.split(`${mount.mountPath}/`).join(`${local}/`);
  }
  // every ${file:} reference (and the CA file, and a file an environment variable names: the AWS
  // credentials file) is a key of a mounted Secret
  const envFiles = exporter.env
    .filter((e: any) => typeof e.value === 'string' && secretDirs.some((d) => e.value.startsWith(`${d}/`)))
    .map((e: any) => e.value as string);
  const refs = [
    ...[...(configMap.data['config.yaml'] as string).matchAll(/\$\{file:([^}]+)\}|ca_file: (\S+)/g)].map(
      (m) => m[1] ?? m[2],
    ),
    ...envFiles,
  ];
  for (const ref of refs) expect(Object.keys(secretValues), ref).toContain(ref);
  expect(secretDirs.length).toBe(new Set(refs.map((r) => path.dirname(r))).size);
  text = text.split('/var/lib/tracee-exporter').join(path.join(dir, 'data'));
  const env: Record<string, string> = {};
  for (const e of exporter.env) {
    const local = (v: string) => {
      const d = secretDirs.find((m) => v.startsWith(`${m}/`));
      return d
        ? path.join(dir, exporter.volumeMounts.find((m: any) => m.mountPath === d).name, v.slice(d.length + 1))
        : v;
    };
    // a key of a Secret as a variable (secretKeyRef): a made-up value, as for the mounted ones
    const fromSecret = e.valueFrom?.secretKeyRef ? `made-up-${e.valueFrom.secretKeyRef.key}` : undefined;
    env[e.name] =
      e.value !== undefined
        ? local(e.value)
        : (fromSecret ?? (e.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName' ? 'node-1' : ''));
  }
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, text);
  const result = checkConfigFile(file, env);
  // the rendered config is in the model's casing: no deprecated key
  expect(result.warnings.filter((w) => w.includes('is deprecated'))).toEqual([]);
  return { result, refs, secretValues, env, text: configMap.data['config.yaml'] as string, dir };
}

describe('charts/tracee-exporter', () => {
  it('helm lint --strict passes with the defaults and every ci values file', () => {
    for (const v of [undefined, ...VALUES]) {
      const r = runHelm(['lint', '--strict', CHART, ...(v ? ['-f', path.join(CHART, 'ci', v)] : [])]);
      expect(r.status, `${v}: ${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('0 chart(s) failed');
    }
  });

  it('the ci values cover the webhook Deployment, the file sidecar, the gRPC sidecar, the fleet exporters (kafka, opensearch) and OpenSearch with SigV4', () => {
    expect(VALUES).toEqual([
      'fleet-values.yaml',
      'opensearch-sigv4-values.yaml',
      'sidecar-file-values.yaml',
      'sidecar-grpc-values.yaml',
      'webhook-values.yaml',
    ]);
  });

  it('every rendered object is a valid Kubernetes object (kubernetes-models schemas)', async () => {
    const counts: Record<string, number> = {};
    for (const [name, objects] of Object.entries(rendered)) {
      counts[name] = objects.length;
      for (const o of objects) {
        const mod = MODULES[o.apiVersion];
        expect(mod, `${name}: ${o.apiVersion}`).toBeDefined();
        const models = (await import(mod)) as Record<string, new (x: unknown) => { validate(): void }>;
        expect(models[o.kind], `${name}: ${o.kind}`).toBeDefined();
        expect(() => new models[o.kind](o).validate(), `${name}: ${o.kind} ${o.metadata.name}`).not.toThrow();
      }
    }
    // Deployment/DaemonSet, ConfigMap, Service, ServiceAccount, test Pod (+ PVC, ServiceMonitor, NetworkPolicy)
    expect(counts).toEqual({
      defaults: 6,
      'webhook-values.yaml': 8,
      'sidecar-file-values.yaml': 7,
      'sidecar-grpc-values.yaml': 6,
      'fleet-values.yaml': 6,
      'opensearch-sigv4-values.yaml': 7,
    });
  });

  it('an invalid schema value (values.schema.json) and contradictory modes fail the render with the reason', () => {
    const bad = [
      [['--set', 'mode=daemon'], /mode/],
      [['--set', 'source.type=file'], /mode deployment reads Tracee's webhook posts/],
      [['--set', 'mode=sidecar'], /source.type must be file or grpc/],
      [['--set', 'mode=sidecar', '--set', 'source.type=file', '--set', 'persistence.type=pvc'], /cannot be shared/],
      [['--set', 'exporters.elasticsearch.enabled=false'], /enable at least one/],
      [['--set', 'replicaCount=2'], /replicas would share one disk buffer/],
      [['--set', 'exporters.kafka.enabled=true', '--set', 'exporters.kafka.encoding=avro'], /encoding/],
      [
        ['--set', 'exporters.kafka.enabled=true', '--set', 'exporters.kafka.sasl.mechanism=plain'],
        /needs exporters.kafka.sasl.existingSecret/,
      ],
      [
        [
          '--set',
          'exporters.kafka.enabled=true',
          '--set',
          'exporters.kafka.sasl.mechanism=plain',
          '--set',
          'exporters.kafka.sasl.existingSecret=s',
        ],
        /needs exporters.kafka.tls.enabled/,
      ],
    ] as const;
    for (const [args, why] of bad) {
      const r = runHelm(['template', 'rel', CHART, ...args]);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(why);
    }
  });

  it('heap: no NODE_OPTIONS unless nodeOptions is set; memoryLimitMib is the top-level memory_limit_mib the entry point caps the heap from', () => {
    const exporterEnv = (objects: K8sObject[]) =>
      exporterOf(objects.find((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet')!).env as Array<{
        name: string;
        value?: string;
      }>;
    const withFlag = render(undefined, ['--set', 'nodeOptions=--max-old-space-size=300']);
    expect(exporterEnv(withFlag).filter((e) => e.name === 'NODE_OPTIONS')).toEqual([
      { name: 'NODE_OPTIONS', value: '--max-old-space-size=300' },
    ]);
    expect(exporterEnv(render(undefined, ['--set', 'nodeOptions=']))).not.toContainEqual(
      expect.objectContaining({ name: 'NODE_OPTIONS' }),
    );
    // the same value for the exporter (config check) and for the entry point (the file's line)
    const raised = render('sidecar-file-values.yaml', ['--set', 'memoryLimitMib=200']);
    expect(memoryLimitLine(one(raised, 'ConfigMap').data['config.yaml'])).toBe('200');
    expect(checkRenderedConfig(raised).result.config.memory_limit_mib).toBe(200);
    expect(checkRenderedConfig(rendered.defaults).result.config.memory_limit_mib).toBe(128);
    const overridden = render(undefined, [
      '--set',
      'memoryLimitMib=200',
      '--set',
      'configOverride.memory_limit_mib=256',
    ]);
    expect(memoryLimitLine(one(overridden, 'ConfigMap').data['config.yaml'])).toBe('256');
    const r = runHelm(['template', 'rel', CHART, '--set', 'memoryLimitMib=-1']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/memoryLimitMib/);
  });

  for (const name of ['defaults', ...VALUES]) {
    describe(name, () => {
      it('the rendered exporter config passes `config check`, its secrets read from the mounted Secret files', () => {
        const objects = rendered[name];
        const { result, refs, secretValues, env } = checkRenderedConfig(objects);
        expect(result.config.node?.name).toBe('node-1');
        expect(result.config.telemetry?.listen).toBe('0.0.0.0:9464');
        expect(result.config.data_dir).toMatch(/data$/);
        if (name === 'defaults') expect(refs).toEqual([]);
        else expect(refs.length).toBeGreaterThan(0);
        for (const exp of result.config.exporters) {
          if (exp.type === 'elasticsearch' && refs.some((r) => r.includes('/elasticsearch/'))) {
            expect((exp.auth as { api_key: string }).api_key).toBe(
              secretValues['/etc/tracee-exporter/secrets/elasticsearch/api-key'],
            );
          }
          if (exp.type === 'otlp_http' && refs.some((r) => r.includes('/otlp/'))) {
            expect((exp.headers as Record<string, string>).authorization).toBe(
              secretValues['/etc/tracee-exporter/secrets/otlp/authorization'],
            );
          }
        }
        if (env.CLUSTER_NAME) expect(result.config.node?.cluster_name).toBe(env.CLUSTER_NAME);
      });

      it('probes on the telemetry port, non-root hardened container, bounded resources, no heap flag (the cap follows memory_limit_mib)', () => {
        const objects = rendered[name];
        const workload = objects.find((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet')!;
        const pod = workload.spec.template.spec;
        const exporter = exporterOf(workload);
        expect(exporter.ports.find((p: any) => p.name === 'telemetry').containerPort).toBe(9464);
        expect(exporter.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'telemetry' });
        expect(exporter.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'telemetry' });
        const grpcRoot = name === 'sidecar-grpc-values.yaml';
        expect(exporter.securityContext).toMatchObject({
          runAsUser: grpcRoot ? 0 : 1000,
          runAsNonRoot: !grpcRoot,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(exporter.securityContext.capabilities.add).toBeUndefined();
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
        expect(exporter.resources).toEqual({
          requests: { cpu: '250m', memory: '320Mi' },
          limits: { cpu: '1', memory: '512Mi' },
        });
        // no heap flag: the image's entry point caps V8's heap from the config's memory_limit_mib
        expect(exporter.env.map((e: any) => e.name)).not.toContain('NODE_OPTIONS');
        expect(memoryLimitLine(one(objects, 'ConfigMap').data['config.yaml'])).toBe('128');
        expect(pod.automountServiceAccountToken).toBe(false);
        // data_dir is a volume (the root filesystem is read-only)
        const data = exporter.volumeMounts.find((m: any) => m.mountPath === '/var/lib/tracee-exporter');
        const volume = pod.volumes.find((v: any) => v.name === data.name);
        const expected = {
          defaults: 'persistentVolumeClaim',
          'webhook-values.yaml': 'persistentVolumeClaim',
          'sidecar-file-values.yaml': 'hostPath',
          'sidecar-grpc-values.yaml': 'emptyDir',
          'fleet-values.yaml': 'hostPath',
          'opensearch-sigv4-values.yaml': 'persistentVolumeClaim',
        }[name]!;
        expect(Object.keys(volume)).toContain(expected);
        if (expected === 'persistentVolumeClaim') {
          expect(one(objects, 'PersistentVolumeClaim').metadata.name).toBe(volume.persistentVolumeClaim.claimName);
          expect(workload.spec.strategy.type).toBe('Recreate');
        }
        if (expected === 'hostPath') {
          // the hostPath is root's: the init container (image's node, CHOWN only) hands it to uid 1000
          const init = pod.initContainers[0];
          expect(init.volumeMounts[0]).toEqual({ name: data.name, mountPath: '/var/lib/tracee-exporter' });
          expect(init.command.slice(0, 2)).toEqual(['node', '-e']);
          expect(init.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['CHOWN'] });
        }
        // `helm test`: config check with the same mounts
        const testPod = objects.find((o) => o.kind === 'Pod')!;
        expect(testPod.metadata.annotations!['helm.sh/hook']).toBe('test');
        expect(testPod.spec.containers[0].args).toEqual(['config', 'check', '/etc/tracee-exporter/config.yaml']);
        expect(testPod.spec.containers[0].volumeMounts).toEqual(
          exporter.volumeMounts.filter((m: any) => m.name === 'config' || m.name.startsWith('secret-')),
        );
      });
    });
  }

  it('webhook: the Service Tracee posts to reaches the webhook source; NetworkPolicy and ServiceMonitor match', () => {
    const objects = rendered['webhook-values.yaml'];
    const deployment = one(objects, 'Deployment');
    const exporter = exporterOf(deployment);
    const service = one(objects, 'Service');
    const config = checkRenderedConfig(objects).result.config;
    const source = config.sources![0] as { type: string; listen: string; path?: string; auth?: unknown };
    expect(source.type).toBe('webhook');
    expect(source.listen).toBe('0.0.0.0:8080');
    // Tracee's chart builds the URL as protocol://host:port (no path): every path must be accepted
    expect(source.path).toBeUndefined();
    expect(source.auth).toEqual({ username: 'made-up-username', password: 'made-up-password' });
    const webhookPort = service.spec.ports.find((p: any) => p.name === 'webhook');
    expect(webhookPort).toMatchObject({ port: 8080, targetPort: 'webhook' });
    expect(exporter.ports.find((p: any) => p.name === 'webhook').containerPort).toBe(8080);
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);

    const monitor = one(objects, 'ServiceMonitor');
    expect(monitor.spec.selector.matchLabels).toEqual(service.metadata.labels && deployment.spec.selector.matchLabels);
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.endpoints[0]).toMatchObject({ port: 'telemetry', path: '/metrics' });
    expect(monitor.metadata.labels!.release).toBe('kube-prometheus-stack');

    const np = one(objects, 'NetworkPolicy');
    expect(np.spec.podSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress).toEqual([
      {
        from: [
          {
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'tracee' } },
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'tracee' } },
          },
        ],
        ports: [{ port: 8080, protocol: 'TCP' }],
      },
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ports: [{ port: 9464, protocol: 'TCP' }],
      },
    ]);
    expect(np.spec.egress[0].ports).toEqual([
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ]);
    // Elasticsearch https://…:9200 and the collector http://…:4318
    expect(np.spec.egress[1].ports).toEqual([
      { port: 9200, protocol: 'TCP' },
      { port: 4318, protocol: 'TCP' },
    ]);
  });

  it('fleet: kafka over TLS + SCRAM and opensearch with basic auth and a CA, every secret from an existing Secret; egress to their ports', () => {
    const objects = rendered['fleet-values.yaml'];
    const { result, secretValues, text } = checkRenderedConfig(objects);
    const byType = Object.fromEntries(result.config.exporters.map((e) => [e.type, e as Record<string, any>]));
    expect(Object.keys(byType).sort()).toEqual(['kafka', 'opensearch']);
    const dir = '/etc/tracee-exporter/secrets';
    expect(byType.kafka).toMatchObject({
      brokers: ['kafka-0.kafka.kafka:9093', 'kafka-1.kafka.kafka:9093'],
      encoding: 'tracee_json',
      compression: 'gzip',
      tls: { ca_file: expect.stringMatching(/\/secret-kafka-ca\/ca\.crt$/) },
      sasl: {
        mechanism: 'scram-sha-512',
        username: secretValues[`${dir}/kafka-sasl/username`],
        password: secretValues[`${dir}/kafka-sasl/password`],
      },
    });
    expect(byType.kafka.sasl.password).toBe('made-up-password');
    expect(byType.opensearch).toMatchObject({
      endpoints: 'https://opensearch.example.internal:9200',
      data_stream: { namespace: 'default' },
      auth: { username: 'made-up-username', password: 'made-up-password' },
      tls: { ca_file: expect.stringMatching(/\/secret-opensearch-ca\/ca\.crt$/) },
    });
    for (const f of ['kafka-ca/ca.crt', 'opensearch-ca/ca.crt']) expect(text).toContain(`ca_file: ${dir}/${f}`);
    const np = one(objects, 'NetworkPolicy');
    expect(np.spec.egress[1].ports).toEqual([
      { port: 9093, protocol: 'TCP' },
      { port: 9200, protocol: 'TCP' },
    ]);
    // TLS without a CA Secret: the image's system CAs
    const plainTls = render('fleet-values.yaml', [
      '--set',
      'exporters.kafka.tls.ca.existingSecret=',
      '--set',
      'exporters.kafka.sasl.mechanism=',
    ]);
    const cfg = checkRenderedConfig(plainTls).result.config.exporters.find((e) => e.type === 'kafka') as Record<
      string,
      unknown
    >;
    expect(cfg.tls).toBe(true);
    expect(cfg.sasl).toBeUndefined();
  });

  it('opensearch-sigv4: auth.aws_sigv4 (region, service) in the config, keys from a mounted credentials file or Secret variables', () => {
    const objects = rendered['opensearch-sigv4-values.yaml'];
    const { result, env, text, dir } = checkRenderedConfig(objects);
    const os = result.config.exporters.find((e) => e.type === 'opensearch') as Record<string, any>;
    expect(os).toMatchObject({
      endpoints: 'https://search-tracee-abc123.eu-west-1.es.amazonaws.com',
      auth: { aws_sigv4: { region: 'eu-west-1', service: 'es' } },
    });
    // the exporter's keys, snake_case: no basic auth beside it, no camelCase key
    expect(Object.keys(os.auth)).toEqual(['aws_sigv4']);
    expect(text).not.toMatch(/awsSigv4|username|password/);
    // the keys: AWS_SHARED_CREDENTIALS_FILE names the key of the mounted Secret (re-read by the exporter)
    const workload = one(objects, 'Deployment');
    const exporter = exporterOf(workload);
    const credEnv = exporter.env.filter((e: any) => e.name.startsWith('AWS_'));
    expect(credEnv).toEqual([
      { name: 'AWS_SHARED_CREDENTIALS_FILE', value: '/etc/tracee-exporter/secrets/opensearch-aws/credentials' },
    ]);
    const volume = workload.spec.template.spec.volumes.find((v: any) => v.name === 'secret-opensearch-aws');
    expect(volume.secret).toMatchObject({
      secretName: 'tracee-exporter-aws',
      items: [{ key: 'credentials', path: 'credentials' }],
    });
    expect(fs.readFileSync(env.AWS_SHARED_CREDENTIALS_FILE, 'utf8')).toBe('made-up-credentials\n');
    expect(env.AWS_SHARED_CREDENTIALS_FILE.startsWith(dir)).toBe(true);
    // egress to https (443)
    expect(one(objects, 'NetworkPolicy').spec.egress[1].ports).toEqual([{ port: 443, protocol: 'TCP' }]);

    // the keys as variables from a Secret instead; Serverless (aoss) and a profile
    const viaEnv = render('opensearch-sigv4-values.yaml', [
      '--set',
      'exporters.opensearch.auth.awsSigv4.credentialsFile.existingSecret=',
      '--set',
      'exporters.opensearch.auth.awsSigv4.credentialsEnv.existingSecret=aws-keys',
      '--set',
      'exporters.opensearch.auth.awsSigv4.credentialsEnv.sessionTokenKey=session',
      '--set',
      'exporters.opensearch.auth.awsSigv4.service=aoss',
      '--set',
      'exporters.opensearch.auth.awsSigv4.profile=tracee',
    ]);
    const second = checkRenderedConfig(viaEnv);
    expect(second.result.config.exporters[0]).toMatchObject({
      auth: { aws_sigv4: { region: 'eu-west-1', service: 'aoss', profile: 'tracee' } },
    });
    const envVars = exporterOf(one(viaEnv, 'Deployment')).env.filter((e: any) => e.name.startsWith('AWS_'));
    expect(envVars).toEqual([
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'aws-keys', key: 'aws_access_key_id' } } },
      {
        name: 'AWS_SECRET_ACCESS_KEY',
        valueFrom: { secretKeyRef: { name: 'aws-keys', key: 'aws_secret_access_key' } },
      },
      { name: 'AWS_SESSION_TOKEN', valueFrom: { secretKeyRef: { name: 'aws-keys', key: 'session' } } },
    ]);
    expect(
      one(viaEnv, 'Deployment').spec.template.spec.volumes.some((v: any) => v.name === 'secret-opensearch-aws'),
    ).toBe(false);

    // what the exporter would refuse fails the render with the reason
    const sig = 'exporters.opensearch.auth.awsSigv4';
    const bad = [
      [['--set', 'exporters.opensearch.auth.existingSecret=basic'], /awsSigv4 goes alone/],
      [['--set', 'exporters.opensearch.url=http://opensearch:9200'], /needs an https/],
      [['--set', `${sig}.region=`], /region is required/],
      [['--set', `${sig}.credentialsFile.existingSecret=`], /needs its keys/],
      [['--set', `${sig}.credentialsEnv.existingSecret=k`], /not both/],
      [['--set', `${sig}.service=s3`], /service/],
    ] as const;
    for (const [args, why] of bad) {
      const r = runHelm([
        'template',
        'rel',
        CHART,
        '-f',
        path.join(CHART, 'ci', 'opensearch-sigv4-values.yaml'),
        ...args,
      ]);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(why);
    }
  });

  it("sidecar-file: a DaemonSet beside Tracee reads the event file on the node directory Tracee's chart mounts", () => {
    const objects = rendered['sidecar-file-values.yaml'];
    const ds = one(objects, 'DaemonSet');
    const exporter = exporterOf(ds);
    const pod = ds.spec.template.spec;
    const config = checkRenderedConfig(objects).result.config;
    const source = config.sources![0] as { type: string; paths: string[]; follow: boolean };
    expect(source).toMatchObject({ type: 'file', follow: true });
    const mount = exporter.volumeMounts.find((m: any) => m.mountPath === TRACEE_HOST_DIR);
    expect(mount.readOnly).toBe(true);
    expect(pod.volumes.find((v: any) => v.name === mount.name).hostPath.path).toBe(TRACEE_HOST_DIR);
    for (const p of source.paths) expect(p.startsWith(`${TRACEE_HOST_DIR}/`), p).toBe(true);
    // Tracee runs on every node, tainted ones included (its chart tolerates every taint): so do we
    expect(pod.tolerations).toEqual([
      { effect: 'NoSchedule', operator: 'Exists' },
      { effect: 'NoExecute', operator: 'Exists' },
    ]);
    expect(one(objects, 'Service').spec.clusterIP).toBe('None');
    const np = one(objects, 'NetworkPolicy');
    expect(np.spec.ingress.map((r: any) => r.ports[0].port)).toEqual([9464]); // no webhook port open
  });

  it('sidecar-grpc: the socket address lies in the shared Tracee directory', () => {
    const objects = rendered['sidecar-grpc-values.yaml'];
    const ds = one(objects, 'DaemonSet');
    const exporter = exporterOf(ds);
    const source = checkRenderedConfig(objects).result.config.sources![0] as { type: string; address: string };
    expect(source.type).toBe('grpc');
    const socket = source.address.replace(/^unix:\/\//, '');
    expect(socket.startsWith(`${TRACEE_HOST_DIR}/`)).toBe(true);
    const mount = exporter.volumeMounts.find((m: any) => m.mountPath === TRACEE_HOST_DIR);
    expect(mount.readOnly).toBe(false);
    expect(ds.spec.template.spec.volumes.find((v: any) => v.name === mount.name).hostPath.path).toBe(TRACEE_HOST_DIR);
    expect(one(objects, 'NetworkPolicy').spec.egress[1].ports).toEqual([{ port: 4318, protocol: 'TCP' }]);
    expect(objects.some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
  });
});
