import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Cancelled } from '../platform/commands';
import { log } from '../platform/log';
import type { WorkspaceStore } from '../platform/workspace-store';
import { versionLabel } from '../registry/model-text';
import { resolveInterpreter } from '../runner/interpreter';
import type { ModelVersionDetail } from '../store';
import type { GateRecord } from '../store/records';
import { versionSubject, type EvaluateCommands } from './evaluate-commands';
import { comparisonDir, launchEvaluate, launchSmoke, sha256File, versionEvaluationDir, type JobOutcome } from './evaluate-job';
import type { EvaluationPanels } from './evaluation-panel';
import { readEvaluationText } from './evaluation-file';
import { decideGate, gateSummary, parseGateRule, type GateEvidence } from './gate';
import { pinnedState } from './pinned-data';
import { signatureCompatibility, versionSignature, writeSignature } from './signature';

export interface GateOptions {
  /** false: no questions (scripted use): the gate runs and its outcome is recorded. */
  confirm: boolean;
  /** Evaluation data when the model has none pinned (it is not pinned by this). */
  data: string;
  target: string;
  /** Smoke-test requests (default 200). */
  requests: number;
}

export type GateDecision = { promote: true; gate?: GateRecord } | { promote: false; gate?: GateRecord; reason: 'blocked' | 'cancelled' };

/**
 * Promote to Production through the gate: the challenger evaluated on the model's pinned data next to
 * the current Production version (one `mlwb evaluate` comparison, same rows), signature compatibility,
 * a serving smoke test (`mlwb smoke`); then the decision under `mlwb.registry.gate`, shown before the
 * user confirms. The gate runs when the model has pinned evaluation data or the setting is set.
 */
export class PromotionGate {
  constructor(
    private readonly store: WorkspaceStore,
    private readonly commands: EvaluateCommands,
    private readonly panels: EvaluationPanels,
  ) {}

  /** Whether Promote to Production goes through the gate for this model. */
  async applies(model: string): Promise<boolean> {
    const configured = vscode.workspace.getConfiguration('mlwb').inspect('registry.gate');
    const set = [configured?.globalValue, configured?.workspaceValue, configured?.workspaceFolderValue].some((v) => v !== undefined && v !== null);
    return set || (await this.store.get()).listModels().some((m) => m.name === model && m.evaluationData);
  }

  async run(v: ModelVersionDetail, rawOptions: Partial<GateOptions>): Promise<GateDecision> {
    const rule = parseGateRule(vscode.workspace.getConfiguration('mlwb').get('registry.gate'));
    const interactive = rawOptions.confirm !== false;
    const s = await this.store.get();
    const model = s.listModels().find((m) => m.name === v.model);
    const challenger = versionSubject(s, { model: v.model, version: v.version });
    const productionVersion = model?.productionVersion !== undefined && model.productionVersion !== v.version ? s.getVersion(v.model, model.productionVersion) : undefined;
    const production = productionVersion ? versionSubject(s, { model: v.model, version: productionVersion.version }) : undefined;

    // The data: pinned (and unchanged), else what the caller gave, else (interactive) picked.
    let data: string | undefined;
    let target: string | undefined;
    let dataProblem: string | undefined;
    const pinned = model?.evaluationData;
    if (pinned) {
      const state = pinnedState(pinned);
      if (state === 'ok') {
        data = pinned.file;
        target = pinned.target;
      } else dataProblem = state === 'missing' ? `the pinned evaluation data ${pinned.path} is missing` : `the pinned evaluation data ${pinned.path} changed since it was pinned (sha256 differs): re-pin it to accept the new file`;
    }
    if (!data && !dataProblem) {
      if (rawOptions.data) data = path.resolve(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd(), rawOptions.data);
      else if (interactive) data = await this.commands.pickData(s, `Promotion gate for ${challenger.title}`, v.sourceRun);
      else dataProblem = `${v.model} has no pinned evaluation data (Set Evaluation Data…)`;
    }
    if (data && !target) target = rawOptions.target ?? (interactive ? await this.commands.pickTarget(data) : undefined);
    if (data && !target) dataProblem = 'no target column for the evaluation data';

    if (interactive) {
      for (const m of [challenger, ...(production ? [production] : [])]) if (!(await this.commands.trusted(m))) throw new Cancelled();
    }

    const evidence: GateEvidence = { rule, signature: signatureCompatibility(production && versionSignature(s, productionVersion!), versionSignature(s, v)) };
    if (dataProblem) evidence.evaluationError = dataProblem;
    const python = await resolveInterpreter(vscode.Uri.file(challenger.file));
    if (!python) throw new Cancelled();
    const jobOptions = { python: python.path, runnerDir: this.commands.runnerDir, storeDir: s.layout.root, cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd(), log: (l: string) => log().info(l) };

    let resultPath: string | undefined;
    const ran = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Promotion gate for ${challenger.title}`, cancellable: true },
      async (progress, token) => {
        if (data && target) {
          progress.report({ message: production ? `evaluating against Production v${production.version!.version} on ${path.basename(data)}` : `evaluating on ${path.basename(data)}` });
          const job = launchEvaluate(
            production
              ? { models: [production, challenger], data, target, out: comparisonDir(s.layout.root, production, challenger, data), resamples: 500 }
              : { models: [challenger], data, target, out: versionEvaluationDir(challenger.file) },
            jobOptions,
          );
          token.onCancellationRequested(() => job.cancel());
          const outcome = await job.finished;
          if (outcome.status === 'cancelled') return false;
          if (outcome.status !== 'completed' || !outcome.resultPath) evidence.evaluationError = `the evaluation ${outcome.status}: ${outcome.error ?? 'no reason given'}`;
          else {
            resultPath = outcome.resultPath;
            this.readEvidence(outcome, evidence, production?.version?.version);
          }
        }
        if (token.isCancellationRequested) return false;
        if (data) {
          progress.report({ message: 'serving smoke test (the challenger on loopback)' });
          const smoke = launchSmoke({ model: challenger, data, ...(target ? { target } : {}), requests: rawOptions.requests ?? 200, ...(v.signature ? { signature: writeSignature(v) } : {}) }, jobOptions);
          token.onCancellationRequested(() => smoke.cancel());
          const outcome = await smoke.finished;
          if (outcome.status === 'cancelled') return false;
          const r = outcome.result ?? {};
          evidence.smoke = outcome.status === 'completed'
            ? { requests: Number(r.requests ?? 0), errors: Number(r.errors ?? 0), ...(typeof r.p50_ms === 'number' ? { p50_ms: r.p50_ms } : {}), ...(typeof r.p95_ms === 'number' ? { p95_ms: r.p95_ms } : {}) }
            : { requests: 0, errors: 0, error: outcome.error ?? outcome.status };
        }
        return true;
      },
    );
    if (!ran) return { promote: false, reason: 'cancelled' };
    if (resultPath) evidence.evidence = path.relative(s.layout.root, resultPath).split(path.sep).join('/');
    if (data) {
      const rows = evidence.rows;
      evidence.data = { path: pinned && data === pinned.file ? pinned.path : data, sha256: pinned && data === pinned.file ? pinned.sha256 : await sha256File(data), ...(rows !== undefined ? { rows } : {}), ...(target ? { target } : {}) };
    }
    const gate = decideGate(evidence);
    const title = `${v.model} ${versionLabel(v.version)}`;
    const lines = gateSummary(gate, title);
    log().info(`promotion gate for ${title}: ${gate.outcome}\n  ${lines.join('\n  ')}`);
    if (!interactive) return gate.outcome === 'blocked' ? { promote: false, gate, reason: 'blocked' } : { promote: true, gate };

    if (resultPath) await this.panels.show(resultPath, `Promotion gate: ${title}`, production ? [`A: ${production.title} (Production)`, `B: ${title}`] : [title]);
    if (gate.outcome === 'blocked') {
      await vscode.window.showErrorMessage(`The promotion gate blocked ${title}.`, { modal: true, detail: `${lines.join('\n')}\n\nmlwb.registry.gate is in "block" mode. The blocked promotion is recorded in the version's stage history.` });
      return { promote: false, gate, reason: 'blocked' };
    }
    const action = gate.outcome === 'passed' ? 'Promote' : 'Promote Anyway';
    const pick = await vscode.window.showWarningMessage(
      gate.outcome === 'passed' ? `The promotion gate passed: promote ${title} to Production?` : `The promotion gate found problems: promote ${title} to Production anyway?`,
      { modal: true, detail: `${lines.join('\n')}${gate.outcome === 'passed' ? '' : '\n\nmlwb.registry.gate is in "warn" mode: promoting records the gate as overridden.'}` },
      action,
    );
    if (pick !== action) return { promote: false, gate, reason: 'cancelled' };
    return { promote: true, gate };
  }

  private readEvidence(outcome: JobOutcome, evidence: GateEvidence, productionVersion: number | undefined): void {
    const file = readEvaluationText(fs.readFileSync(outcome.resultPath!, 'utf8'));
    if (file.kind === 'comparison') {
      evidence.challenger = file.b;
      evidence.production = { version: productionVersion!, evaluation: file.a, comparison: file.comparison };
      evidence.rows = file.b.data.rows;
    } else {
      evidence.challenger = file.evaluation;
      evidence.rows = file.evaluation.data.rows;
    }
  }
}
