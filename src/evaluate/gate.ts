import type { GateRecord } from '../store/records';
import type { Comparison, Evaluation } from './contract';
import { higherIsBetter } from './evaluation-file';

/**
 * The promotion gate's rule (`mlwb.registry.gate`) and its decision, from the evidence the commands
 * gathered (an evaluation on the pinned data, signature compatibility, a serving smoke test). No `vscode`.
 */
export interface GateRule {
  /** The metric compared; undefined: the evaluation's main metric (accuracy, RMSE). */
  metric?: string;
  /** The most the metric may get worse than Production's, in its own units. */
  maxDrop: number;
  mode: 'block' | 'warn';
}

export const DEFAULT_GATE_RULE: GateRule = { maxDrop: 0, mode: 'warn' };

/** The setting's value, checked: a wrong one is an error naming the field (never a silently open gate). */
export function parseGateRule(raw: unknown): GateRule {
  if (raw === undefined || raw === null) return { ...DEFAULT_GATE_RULE };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error('mlwb.registry.gate must be an object like { "metric": "accuracy", "maxDrop": 0.01, "mode": "block" }');
  const r = raw as Record<string, unknown>;
  const unknown = Object.keys(r).filter((k) => !['metric', 'maxDrop', 'mode'].includes(k));
  if (unknown.length) throw new Error(`mlwb.registry.gate: unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')} (metric, maxDrop, mode)`);
  const rule: GateRule = { ...DEFAULT_GATE_RULE };
  if (r.metric !== undefined && r.metric !== null && r.metric !== '') {
    if (typeof r.metric !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(r.metric)) throw new Error('mlwb.registry.gate.metric must be a metric name such as "accuracy" or "rmse"');
    rule.metric = r.metric;
  }
  if (r.maxDrop !== undefined) {
    if (typeof r.maxDrop !== 'number' || !Number.isFinite(r.maxDrop) || r.maxDrop < 0) throw new Error('mlwb.registry.gate.maxDrop must be a number ≥ 0');
    rule.maxDrop = r.maxDrop;
  }
  if (r.mode !== undefined) {
    if (r.mode !== 'block' && r.mode !== 'warn') throw new Error('mlwb.registry.gate.mode must be "block" or "warn"');
    rule.mode = r.mode;
  }
  return rule;
}

export interface GateEvidence {
  rule: GateRule;
  /** The challenger's evaluation on the pinned data… */
  challenger?: Evaluation;
  /** …next to Production's, on the same rows (undefined: no other Production version). */
  production?: { version: number; evaluation: Evaluation; comparison: Comparison };
  /** Why there is no evaluation (no pinned data, the job failed). */
  evaluationError?: string;
  data?: GateRecord['data'];
  signature: { compatible: boolean; checked: boolean; problems: string[] };
  smoke?: GateRecord['smoke'];
  /** Store-relative path of the evaluation/comparison file. */
  evidence?: string;
  /** Rows evaluated. */
  rows?: number;
}

/** passed, or the problems and what the rule makes of them (blocked in "block" mode, else to be confirmed). */
export function decideGate(e: GateEvidence): GateRecord {
  const problems: string[] = [];
  const record: Omit<GateRecord, 'outcome'> = { rule: { ...e.rule }, problems };
  if (e.evaluationError) problems.push(e.evaluationError);
  const metric = e.rule.metric ?? e.challenger?.main_metric;
  if (metric && e.challenger) {
    record.metric = metric;
    const better = metric === e.challenger.main_metric ? e.challenger.higher_is_better : higherIsBetter(metric);
    record.higherIsBetter = better;
    const mine = e.challenger.metrics[metric];
    if (mine === undefined) problems.push(`the challenger's evaluation has no ${metric}`);
    else record.challenger = mine;
    if (e.production) {
      record.productionVersion = e.production.version;
      const theirs = e.production.evaluation.metrics[metric];
      if (theirs === undefined) problems.push(`Production's evaluation has no ${metric}`);
      else record.production = theirs;
      if (mine !== undefined && theirs !== undefined) {
        const drop = better ? theirs - mine : mine - theirs;
        record.drop = drop;
        if (drop > e.rule.maxDrop + 1e-12) {
          problems.push(`${metric} is ${fmt(drop)} worse than Production v${e.production.version}'s (${fmt(theirs)} → ${fmt(mine)}), more than the ${fmt(e.rule.maxDrop)} allowed`);
        }
      }
      const b = e.production.comparison.bootstrap;
      if (b && b.metric === metric) record.interval = [b.low, b.high];
    }
  }
  if (e.data) record.data = e.data;
  record.signature = { compatible: e.signature.compatible, problems: e.signature.problems, checked: e.signature.checked };
  for (const p of e.signature.problems) problems.push(`signature: ${p}`);
  if (e.smoke) {
    record.smoke = e.smoke;
    if (e.smoke.error) problems.push(`serving smoke test: ${e.smoke.error}`);
    else if (e.smoke.errors > 0) problems.push(`serving smoke test: ${e.smoke.errors} of ${e.smoke.requests} requests failed`);
  }
  if (e.evidence) record.evidence = e.evidence;
  if (problems.length === 0) return { ...record, outcome: 'passed' };
  // "warn": the caller asks, and records "overridden" when the user (or a script's confirm: false) goes on.
  return { ...record, outcome: e.rule.mode === 'block' ? 'blocked' : 'overridden' };
}

/** The gate in a few lines, for the confirmation and the notification. */
export function gateSummary(g: GateRecord, challenger: string): string[] {
  const lines: string[] = [];
  if (g.metric && g.challenger !== undefined) {
    lines.push(
      g.production !== undefined
        ? `${g.metric}: ${fmt(g.challenger)} (${challenger}) vs ${fmt(g.production)} (Production v${g.productionVersion}); ${g.drop !== undefined && g.drop > 0 ? `${fmt(g.drop)} worse` : 'not worse'}, ${fmt(g.rule.maxDrop)} allowed${g.interval ? `; 95% interval of the difference [${fmt(g.interval[0])}, ${fmt(g.interval[1])}]` : ''}.`
        : `${g.metric}: ${fmt(g.challenger)} (${challenger}); no other Production version to compare with.`,
    );
  }
  if (g.data) lines.push(`Evaluated on ${g.data.path} (${g.data.rows ?? '?'} rows, sha256 ${g.data.sha256.slice(0, 12)}…).`);
  if (g.signature) {
    lines.push(g.signature.checked === false ? 'Signature: not checked (a version without a recorded signature, or no other Production version).' : g.signature.compatible ? 'Signature: compatible with Production.' : `Signature: ${g.signature.problems.length} problem(s).`);
  }
  if (g.smoke) lines.push(g.smoke.error ? `Serving smoke test failed: ${g.smoke.error}` : `Serving smoke test: ${g.smoke.requests} requests, ${g.smoke.errors} errors, p50 ${fmt(g.smoke.p50_ms ?? NaN)} ms, p95 ${fmt(g.smoke.p95_ms ?? NaN)} ms.`);
  for (const p of g.problems) lines.push(`✗ ${p}`);
  return lines;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v);
}
