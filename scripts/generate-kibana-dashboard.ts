// Writes examples/kibana/tracee.ndjson (Kibana saved objects: a data view over logs-tracee.*, Lens panels and a
// dashboard) from the small panel list below:  node scripts/generate-kibana-dashboard.ts
// Kibana 8.x export format (by-reference panels: panelRefName "panel_<i>", reference "<i>:panel_<i>").
// test/unit/kibana-assets.test.ts checks the output structurally; no Kibana runs in this project's CI.

import { writeFileSync } from 'node:fs';

const DATA_VIEW_ID = 'tracee-exporter-data-view';
const ALERTS = 'event.kind : "alert"';

type Col = Record<string, unknown>;
const count = (): Col => ({
  label: 'Count of records',
  dataType: 'number',
  operationType: 'count',
  isBucketed: false,
  scale: 'ratio',
  sourceField: '___records___',
  params: { emptyAsNull: true },
});
const histogram = (): Col => ({
  label: '@timestamp',
  dataType: 'date',
  operationType: 'date_histogram',
  sourceField: '@timestamp',
  isBucketed: true,
  scale: 'interval',
  params: { interval: 'auto', includeEmptyRows: true, dropPartials: false },
});
const terms = (field: string, size: number, orderCol: string, label: string, numeric = false): Col => ({
  label,
  customLabel: true,
  dataType: numeric ? 'number' : 'string',
  operationType: 'terms',
  sourceField: field,
  isBucketed: true,
  scale: 'ordinal',
  params: {
    size,
    orderBy: { type: 'column', columnId: orderCol },
    orderDirection: 'desc',
    otherBucket: true,
    missingBucket: false,
    parentFormat: { id: 'terms' },
  },
});

interface Panel {
  id: string;
  title: string;
  type: 'lnsXY' | 'lnsDatatable' | 'lnsPie';
  query: string;
  columns: Array<[string, Col]>;
  visualization: (layerId: string) => Record<string, unknown>;
  w: number;
  h: number;
}

const table = (layerId: string, cols: string[]) => ({
  layerId,
  layerType: 'data',
  columns: cols.map((columnId) => ({ columnId })),
});

const panels: Panel[] = [
  {
    id: 'tracee-events-over-time',
    title: 'Tracee events over time by event.action',
    type: 'lnsXY',
    query: '',
    w: 48,
    h: 14,
    columns: [
      ['date', histogram()],
      ['count', count()],
      ['action', terms('event.action', 10, 'count', 'event.action')],
    ],
    visualization: (layerId) => ({
      legend: { isVisible: true, position: 'right' },
      valueLabels: 'hide',
      preferredSeriesType: 'bar_stacked',
      fittingFunction: 'None',
      layers: [
        {
          layerId,
          layerType: 'data',
          seriesType: 'bar_stacked',
          xAccessor: 'date',
          accessors: ['count'],
          splitAccessor: 'action',
        },
      ],
    }),
  },
  {
    id: 'tracee-top-processes',
    title: 'Top processes (process.name, process.executable)',
    type: 'lnsDatatable',
    query: '',
    w: 24,
    h: 15,
    columns: [
      ['name', terms('process.name', 20, 'count', 'process.name')],
      ['exe', terms('process.executable', 3, 'count', 'process.executable')],
      ['count', count()],
    ],
    visualization: (l) => table(l, ['name', 'exe', 'count']),
  },
  {
    id: 'tracee-containers',
    title: 'Containers (container.name, container.image.name)',
    type: 'lnsDatatable',
    query: 'container.id : *',
    w: 24,
    h: 15,
    columns: [
      ['name', terms('container.name', 20, 'count', 'container.name')],
      ['image', terms('container.image.name', 3, 'count', 'container.image.name')],
      ['count', count()],
    ],
    visualization: (l) => table(l, ['name', 'image', 'count']),
  },
  {
    id: 'tracee-pods',
    title: 'Kubernetes pods (orchestrator.namespace, orchestrator.resource.name)',
    type: 'lnsDatatable',
    query: 'orchestrator.resource.type : "pod"',
    w: 24,
    h: 15,
    columns: [
      ['ns', terms('orchestrator.namespace', 20, 'count', 'orchestrator.namespace')],
      ['pod', terms('orchestrator.resource.name', 10, 'count', 'orchestrator.resource.name')],
      ['count', count()],
    ],
    visualization: (l) => table(l, ['ns', 'pod', 'count']),
  },
  {
    id: 'tracee-detections-by-tactic',
    title: 'Detections by MITRE ATT&CK tactic (threat.tactic.name)',
    type: 'lnsPie',
    query: ALERTS,
    w: 24,
    h: 15,
    columns: [
      ['tactic', terms('threat.tactic.name', 12, 'count', 'threat.tactic.name')],
      ['count', count()],
    ],
    visualization: (layerId) => ({
      shape: 'donut',
      layers: [
        {
          layerId,
          layerType: 'data',
          primaryGroups: ['tactic'],
          metrics: ['count'],
          numberDisplay: 'percent',
          categoryDisplay: 'default',
          legendDisplay: 'default',
          nestedLegend: false,
        },
      ],
    }),
  },
  {
    id: 'tracee-detections-by-technique',
    title: 'Detections by technique (threat.technique.id, threat.technique.name)',
    type: 'lnsDatatable',
    query: ALERTS,
    w: 24,
    h: 15,
    columns: [
      ['tid', terms('threat.technique.id', 20, 'count', 'threat.technique.id')],
      ['tname', terms('threat.technique.name', 3, 'count', 'threat.technique.name')],
      ['count', count()],
    ],
    visualization: (l) => table(l, ['tid', 'tname', 'count']),
  },
  {
    id: 'tracee-detections-by-severity',
    title: 'Detections over time by event.severity',
    type: 'lnsXY',
    query: ALERTS,
    w: 24,
    h: 15,
    columns: [
      ['date', histogram()],
      ['count', count()],
      ['sev', terms('event.severity', 5, 'count', 'event.severity', true)],
    ],
    visualization: (layerId) => ({
      legend: { isVisible: true, position: 'right' },
      valueLabels: 'hide',
      preferredSeriesType: 'bar_stacked',
      fittingFunction: 'None',
      layers: [
        {
          layerId,
          layerType: 'data',
          seriesType: 'bar_stacked',
          xAccessor: 'date',
          accessors: ['count'],
          splitAccessor: 'sev',
        },
      ],
    }),
  },
];

const dataView = {
  id: DATA_VIEW_ID,
  type: 'index-pattern',
  coreMigrationVersion: '8.8.0',
  typeMigrationVersion: '8.0.0',
  managed: false,
  references: [],
  attributes: {
    title: 'logs-tracee.*',
    name: 'Tracee (logs-tracee.*)',
    timeFieldName: '@timestamp',
    allowNoIndex: true,
  },
};

function lens(p: Panel) {
  const layerId = `${p.id}-layer`;
  return {
    id: p.id,
    type: 'lens',
    coreMigrationVersion: '8.8.0',
    typeMigrationVersion: '8.9.0',
    managed: false,
    references: [{ type: 'index-pattern', id: DATA_VIEW_ID, name: `indexpattern-datasource-layer-${layerId}` }],
    attributes: {
      title: p.title,
      description: '',
      visualizationType: p.type,
      state: {
        datasourceStates: {
          formBased: {
            layers: {
              [layerId]: {
                columns: Object.fromEntries(p.columns),
                columnOrder: p.columns.map(([id]) => id),
                incompleteColumns: {},
              },
            },
          },
        },
        visualization: p.visualization(layerId),
        query: { language: 'kuery', query: p.query },
        filters: [],
        internalReferences: [],
        adHocDataViews: {},
      },
    },
  };
}

let x = 0;
let y = 0;
const grid = panels.map((p, i) => {
  if (x + p.w > 48) {
    x = 0;
    y += 15;
  }
  const g = { x, y, w: p.w, h: p.h, i: String(i + 1) };
  x += p.w;
  if (x >= 48) {
    x = 0;
    y += p.h;
  }
  return g;
});

const dashboard = {
  id: 'tracee-exporter-overview',
  type: 'dashboard',
  coreMigrationVersion: '8.8.0',
  typeMigrationVersion: '8.9.0',
  managed: false,
  references: panels.map((p, i) => ({ type: 'lens', id: p.id, name: `${i + 1}:panel_${i + 1}` })),
  attributes: {
    title: 'Tracee runtime security overview',
    description: 'Tracee events and detections shipped by tracee-exporter (data streams logs-tracee.*).',
    timeRestore: true,
    timeFrom: 'now-24h',
    timeTo: 'now',
    refreshInterval: { pause: true, value: 60000 },
    optionsJSON: JSON.stringify({
      useMargins: true,
      syncColors: false,
      syncCursor: true,
      syncTooltips: false,
      hidePanelTitles: false,
    }),
    panelsJSON: JSON.stringify(
      panels.map((p, i) => ({
        version: '8.8.0',
        type: 'lens',
        gridData: grid[i],
        panelIndex: String(i + 1),
        embeddableConfig: { enhancements: {} },
        panelRefName: `panel_${i + 1}`,
      })),
    ),
    kibanaSavedObjectMeta: {
      searchSourceJSON: JSON.stringify({ query: { language: 'kuery', query: '' }, filter: [] }),
    },
    version: 1,
  },
};

const out = new URL('../examples/kibana/tracee.ndjson', import.meta.url);
writeFileSync(out, [dataView, ...panels.map(lens), dashboard].map((o) => JSON.stringify(o)).join('\n') + '\n');
process.stdout.write(`wrote ${out.pathname}\n`);
