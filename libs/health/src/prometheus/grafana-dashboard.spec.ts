// The Grafana dashboard in deploy/grafana reads only what the fleet endpoint exposes: every
// query is parsed with Prometheus' PromQL grammar, and each metric and label it names must be one
// the endpoint's catalog declares.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promqlReferences } from '@meshfleet/testing';
import {
  CLUSTER_LABELS,
  FamilyDef,
  FLEET_FAMILIES,
  MESH_FAMILIES,
  RESOURCE_FAMILIES,
} from './fleet-metrics.catalog';

const ROOT = join(__dirname, '..', '..', '..', '..', '..');
const DASHBOARD = join(ROOT, 'deploy', 'grafana', 'meshfleet-fleet.json');

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

const families = new Map<string, { labels: Set<string> }>();
for (const f of Object.values(MESH_FAMILIES) as FamilyDef[])
  families.set(f.name, { labels: new Set([...CLUSTER_LABELS, ...f.labels]) });
for (const f of Object.values(RESOURCE_FAMILIES) as FamilyDef[])
  families.set(f.name, { labels: new Set([...CLUSTER_LABELS, ...f.labels]) });
for (const f of Object.values(FLEET_FAMILIES) as FamilyDef[])
  families.set(f.name, { labels: new Set(f.labels) });

/** Grafana's own variables become what Grafana would put there, so the text is plain PromQL. */
function asPromql(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)/g, '5m');
}

function allPanels(ps: Panel[]): Panel[] {
  return ps.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** Checks one expression; returns the metric names it reads. */
function check(where: string, expr: string): string[] {
  const { selectors, grouping } = promqlReferences(asPromql(expr));
  assert.ok(selectors.length > 0, `${where}: reads a metric`);
  const used = new Set<string>();
  for (const s of selectors) {
    const f = families.get(s.metric);
    assert.ok(f, `${where}: ${s.metric} is not a metric the endpoint exposes`);
    for (const l of s.labels) assert.ok(f.labels.has(l), `${where}: ${s.metric} has no label ${l}`);
    for (const l of f.labels) used.add(l);
  }
  for (const l of grouping) assert.ok(used.has(l), `${where}: groups by ${l}, which no selected metric has`);
  return selectors.map((s) => s.metric);
}

describe('Grafana fleet dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    uid: string;
    panels: Panel[];
    templating: { list: { name: string; type: string; query: string | { query: string } }[] };
  };
  const panels = allPanels(dashboard.panels);

  it('queries only metrics and labels the fleet endpoint declares', () => {
    let queries = 0;
    for (const p of panels)
      for (const t of p.targets ?? []) {
        check(`panel "${p.title}"`, t.expr);
        queries++;
      }
    assert.ok(queries >= 30, `${queries} queries`);
  });

  it('has a cluster variable for the drill-down, from label values the endpoint serves', () => {
    const vars = dashboard.templating.list.filter((v) => v.type === 'query');
    assert.deepEqual(
      vars.map((v) => v.name),
      ['provider', 'region', 'cluster'],
    );
    for (const v of vars) {
      const q = typeof v.query === 'string' ? v.query : v.query.query;
      const m = /^label_values\((.+), *([a-z_]+)\)$/.exec(q);
      assert.ok(m, `variable ${v.name} uses label_values(selector, label)`);
      check(`variable ${v.name}`, m[1]!);
      assert.ok(families.get('meshfleet_cluster_info')!.labels.has(m[2]!));
    }
    const drill = panels.filter((p) => p.targets?.some((t) => t.expr.includes('cluster=~"$cluster"')));
    assert.ok(drill.length >= 5, 'the drill-down panels filter on $cluster');
  });

  it('covers health, coverage, certificates, versions and resource usage', () => {
    const read = new Set(panels.flatMap((p) => (p.targets ?? []).flatMap((t) => check(p.title, t.expr))));
    for (const f of [
      MESH_FAMILIES.healthStatus,
      MESH_FAMILIES.podCoverage,
      MESH_FAMILIES.trafficCoverage,
      MESH_FAMILIES.certificateExpiry,
      MESH_FAMILIES.info,
      MESH_FAMILIES.openAlerts,
      ...Object.values(RESOURCE_FAMILIES),
    ])
      assert.ok(read.has(f.name), `the dashboard shows ${f.name}`);
  });

  it('rejects what the check is for: an unknown metric, an unknown label, bad PromQL', () => {
    assert.throws(() => check('t', 'sum(meshfleet_cluster_proxy_rss_bytes)'), /not a metric/);
    assert.throws(() => check('t', 'meshfleet_cluster_pods{namespace="x"}'), /no label namespace/);
    assert.throws(() => check('t', 'sum by (pod) (meshfleet_cluster_pods)'), /groups by pod/);
    assert.throws(() => check('t', 'sum(meshfleet_cluster_pods'), /does not parse/);
  });
});
