import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { checkConfigFile } from '../../../src/config/check.ts';
import { ROOT } from '../../helpers/samples.ts';

const DIR = path.join(ROOT, 'examples/kubernetes');
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: any };

function manifests(file: string): K8sObject[] {
  return parseAllDocuments(fs.readFileSync(path.join(DIR, file), 'utf8'))
    .map((d) => {
      expect(d.errors, file).toEqual([]);
      return d.toJS() as K8sObject;
    })
    .filter((o) => o !== null);
}

const manifestFiles = fs.readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const all = manifestFiles.flatMap((f) => manifests(f).map((o) => ({ file: f, o })));

// apiVersion → kubernetes-models module
const MODULES: Record<string, string> = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'rbac.authorization.k8s.io/v1': 'kubernetes-models/rbac.authorization.k8s.io/v1',
};

function find(kind: string, name: string): K8sObject {
  const hit = all.find((m) => m.o.kind === kind && m.o.metadata.name === name);
  expect(hit, `${kind} ${name}`).toBeDefined();
  return hit!.o;
}

describe('examples/kubernetes', () => {
  it('every manifest is a valid Kubernetes object', async () => {
    expect(all.length).toBeGreaterThanOrEqual(8);
    for (const { file, o } of all) {
      const mod = MODULES[o.apiVersion];
      expect(mod, `${file}: ${o.apiVersion}`).toBeDefined();
      const models = (await import(mod)) as Record<string, new (x: unknown) => { validate(): void }>;
      const Model = models[o.kind];
      expect(Model, `${file}: ${o.kind}`).toBeDefined();
      expect(() => new Model(o).validate(), `${file}: ${o.kind} ${o.metadata.name}`).not.toThrow();
    }
  });

  it('kustomization.yaml lists files that exist', () => {
    const k = manifests('kustomization.yaml')[0] as unknown as { resources: string[] };
    for (const r of k.resources) expect(fs.existsSync(path.join(DIR, r)), r).toBe(true);
  });

  for (const [dsFile, configMapName] of [
    ['daemonset.yaml', 'tracee-exporter-config'],
    ['daemonset-grpc.yaml', 'tracee-exporter-config-grpc'],
  ] as const) {
    describe(dsFile, () => {
      const ds = all.find((m) => m.file === dsFile && m.o.kind === 'DaemonSet')!.o;
      const pod = ds.spec.template.spec;
      const tracee = pod.containers.find((c: any) => c.name === 'tracee');
      const exporter = pod.containers.find((c: any) => c.name === 'tracee-exporter');
      const configText = find('ConfigMap', configMapName).data['config.yaml'] as string;

      // the exporter's environment as the pod gives it (downward API values made up)
      const env: Record<string, string> = {};
      for (const e of exporter.env)
        env[e.name] = e.value ?? (e.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName' ? 'node-1' : '');

      it('the embedded exporter config passes `config check` with the pod environment and the mounted secret', () => {
        const secretMount = exporter.volumeMounts.find(
          (m: any) => pod.volumes.find((v: any) => v.name === m.name)?.secret,
        );
        expect(secretMount, 'a secret volume mounted in the exporter').toBeDefined();
        const secretVolume = pod.volumes.find((v: any) => v.name === secretMount.name);
        const secret = find('Secret', secretVolume.secret.secretName);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'te-k8s-'));
        for (const [k, v] of Object.entries(secret.stringData as Record<string, string>))
          fs.writeFileSync(path.join(dir, k), `${v}\n`);
        // the ${file:} references point into the secret mount
        const refs = [...configText.matchAll(/\$\{file:([^}]+)\}/g)].map((m) => m[1]);
        expect(refs.length).toBeGreaterThan(0);
        for (const r of refs) expect(r.startsWith(`${secretMount.mountPath}/`), r).toBe(true);
        const file = path.join(dir, 'config.yaml');
        fs.writeFileSync(
          file,
          configText
            .split(`${secretMount.mountPath}/`)
            .join(`${dir}/`)
            .split('/var/lib/tracee-exporter/')
            .join(`${dir}/`),
        );
        const r = checkConfigFile(file, env);
        expect(r.config.node).toEqual({ name: 'node-1', cluster_name: env.CLUSTER_NAME });
        expect(env.CLUSTER_NAME).toMatch(/\w/);
        const es = r.config.exporters.find((e) => e.type === 'elasticsearch')!;
        expect(es.endpoints).toBe(env.ELASTICSEARCH_URL); // from the standard variable
        expect((es.auth as { api_key: string }).api_key).toBe(
          (secret.stringData as Record<string, string>)['elasticsearch-api-key'],
        );
        expect(r.config.telemetry?.listen).toBe('0.0.0.0:9464');
      });

      it('probes, ports and Tracee output point at the exporter as configured', () => {
        const telemetryPort = exporter.ports.find((p: any) => p.containerPort === 9464);
        expect(telemetryPort).toBeDefined();
        expect(exporter.livenessProbe.httpGet).toEqual({ path: '/healthz', port: telemetryPort.name });
        expect(exporter.readinessProbe.httpGet).toEqual({ path: '/readyz', port: telemetryPort.name });
        const args = (tracee.args as string[]).join(' ');
        if (dsFile === 'daemonset.yaml') {
          expect(configText).toMatch(/listen: 127\.0\.0\.1:8080\n\s+path: \/events/);
          expect(args).toContain('--output webhook:http://127.0.0.1:8080/events?timeout=5s');
        } else {
          const sock = /grpc-address=unix:(\S+)/.exec(args)![1];
          expect(configText).toContain(`address: unix://${sock}`);
          const shared = (c: any) => c.volumeMounts.find((m: any) => sock.startsWith(`${m.mountPath}/`))?.name;
          expect(shared(tracee)).toBeDefined();
          expect(shared(tracee)).toBe(shared(exporter));
          expect(pod.volumes.find((v: any) => v.name === shared(tracee)).emptyDir).toBeDefined();
        }
        expect(pod.hostPID).toBe(true);
        expect(tracee.securityContext.privileged).toBe(true);
        expect(tracee.image).toMatch(/^docker\.io\/aquasec\/tracee:\d/);
      });

      it('the exporter runs non-root with bounded resources and no heap flag (the image caps the heap from memory_limit_mib)', () => {
        // gRPC: Tracee's unix socket is root's, mode 0755: connecting needs uid 0 (no capability)
        const uid = dsFile === 'daemonset-grpc.yaml' ? 0 : 1000;
        expect(exporter.securityContext).toMatchObject({
          runAsNonRoot: uid !== 0,
          runAsUser: uid,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(exporter.resources.requests.memory).toBe('320Mi');
        expect(exporter.resources.limits.memory).toBe('512Mi');
        // no heap flag: the image's entry point (bin/tracee-exporter.js) caps V8's heap from the
        // config's top-level memory_limit_mib line, unless NODE_OPTIONS carries a heap flag
        expect(env.NODE_OPTIONS ?? '').not.toMatch(/--max-(old-space|semi-space|heap)-size/);
        expect(/^memory_limit_mib:[ \t]*(\d+)[ \t]*(?:#.*)?$/m.exec(configText)?.[1]).toBe('128');
      });

      it("the state directory init container runs the image's node (the image has no shell and no chown)", () => {
        const init = pod.initContainers.find((c: any) => c.image === exporter.image);
        expect(init.command.slice(0, 2)).toEqual(['node', '-e']);
        expect(init.command.at(-1)).toBe('/var/lib/tracee-exporter');
        expect(init.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['CHOWN'] });
      });
    });
  }
});
