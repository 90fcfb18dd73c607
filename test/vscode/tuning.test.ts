import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { LaunchedRun } from '../../src/runner/run-manager';
import type { TuningPanel } from '../../src/tuning/panel/tuning-panel';
import { api, extension, waitFor, workspaceDir } from './helpers';

const FIXTURES = join(__dirname, '../../../test/vscode/fixtures');
const PYTHON = '/usr/bin/python3';

function fixture(name: string, as = name): string {
  const target = join(workspaceDir(), as);
  copyFileSync(join(FIXTURES, name), target);
  return target;
}

async function store() {
  const a = await api();
  await a.store.refresh();
  return a.store.get();
}

/** The panel showing `runId`'s session (or `file`), once its webview has received a view. */
async function panelView(match: (p: TuningPanel) => boolean, what: string, ready: (p: TuningPanel) => boolean = () => true) {
  const a = await api();
  return waitFor(() => a.tuning.panels.all().find((p) => match(p) && p.lastView !== undefined && ready(p)), what, 30_000);
}

describe('hyperparameter tuning (real optuna, real runner, the tuning panel)', () => {
  let rfSession: string | undefined;

  it('tunes the breast_cancer example spec from the command: a session of n trials, live in the panel', async () => {
    const spec = join(workspaceDir(), 'rf.tune.json');
    const example = JSON.parse(readFileSync(join(extension().extensionPath, 'python-runner/examples/tuning/tune.json'), 'utf8'));
    delete example.$schema;
    writeFileSync(spec, JSON.stringify({ ...example, model: { ...example.model, params: { random_state: 0, n_jobs: 1 } } }, null, 2));
    const run = await vscode.commands.executeCommand<LaunchedRun>('mlwb.tune', { uri: spec, options: { nTrials: 4 } });
    assert.ok(run, 'launched');
    assert.equal(run.terminal.name, 'mlwb tune: rf.tune.json');
    const runId = await run.started;
    assert.equal((await run.finished).status, 'completed');
    const s = await store();
    const [session] = s.listTuningSessions(runId);
    assert.ok(session, 'a tuning session in the store');
    assert.equal(session.nTrials, 4);
    assert.equal(session.counts.complete, 4);
    assert.equal(session.status, 'completed');
    assert.equal(session.studyName, 'rf-breast-cancer');
    const study = s.getTuningSession(session.id)!;
    assert.equal(study.backend, 'optuna');
    assert.match(study.sampler ?? '', /TPE/i);
    assert.ok(study.trials.every((t) => t.values![0] > 0.85 && t.values![0] <= 1), 'cross-validated accuracies');
    assert.equal(s.listRuns().runs.find((r) => r.id === runId)?.tuning, true, 'the run is marked as holding a session (its menu offers Open Tuning Session)');
    // The panel opened by itself when the run started, and follows it to the end.
    const panel = await panelView((p) => p.runId === runId, 'the live tuning panel', (p) => p.lastView!.study.trials.length === 4 && p.lastView!.study.status === 'completed');
    assert.equal(panel.lastView!.study.bestTrials.length, 1);
    assert.deepEqual(Object.keys(panel.lastView!.importance[0].values).sort(), ['max_depth', 'max_features', 'min_samples_leaf', 'n_estimators']);
    assert.equal(panel.lastView!.actions.train, true);
    rfSession = session.id;
  });

  it('registers the best model only once Train with Best Params has saved one', async () => {
    assert.ok(rfSession, 'needs the previous test’s session');
    const before = await vscode.commands.executeCommand<{ reason?: string }>('mlwb.registerBestModel', rfSession);
    assert.match(before?.reason ?? '', /saved no model file.*Train with Best Params/);
    const train = await vscode.commands.executeCommand<LaunchedRun>('mlwb.trainWithBestParams', rfSession);
    assert.ok(train, 'training launched');
    const runId = await train.started;
    assert.equal((await train.finished).status, 'completed');
    const s = await store();
    const detail = s.getRun(runId)!;
    const best = s.getTuningSession(rfSession)!;
    const bestTrial = best.trials.find((t) => t.number === best.bestTrials[0])!;
    for (const [k, v] of Object.entries(bestTrial.params)) assert.equal(detail.params[k], v, `param ${k}`);
    assert.equal(detail.params['tuned.session'], rfSession);
    assert.ok(detail.files.some((f) => f.path === 'model.pkl'), 'the fitted model is saved');
    const registered = await vscode.commands.executeCommand<{ model: string; version: number }>('mlwb.registerBestModel', rfSession, { model: 'rf-bc', description: 'tuned' });
    assert.equal(registered?.model, 'rf-bc');
    assert.equal(s.getVersion('rf-bc', registered.version)?.sourceRun, runId);
  });

  it('captures every trial of an unmodified optuna script run with Run Current Training File', async () => {
    const script = fixture('optuna_plain.py');
    await vscode.window.showTextDocument(vscode.Uri.file(script));
    const run = await vscode.commands.executeCommand<LaunchedRun>('mlwb.runCurrentFile');
    const runId = await run.started;
    assert.equal((await run.finished).status, 'completed');
    const s = await store();
    const [session] = s.listTuningSessions(runId);
    assert.equal(session?.nTrials, 6, 'every trial');
    assert.equal(session.source, 'optuna');
    assert.equal(session.studyName, 'plain-optuna');
    await vscode.commands.executeCommand('mlwb.openTuningSession', runId);
    const panel = await panelView((p) => p.studyId === session.id, 'the session’s panel');
    assert.equal(panel.lastView!.study.trials.length, 6);
    assert.match(String(panel.lastView!.actions.train), /its own optuna study/);
    assert.equal(await vscode.commands.executeCommand('mlwb.trainWithBestParams', session.id), undefined, 'says why instead of launching');
  });

  it('tunes a script objective with the built-in random sampler and chosen options (direction, pruning: a generated spec)', async () => {
    const script = fixture('tune_objective.py');
    const run = await vscode.commands.executeCommand<LaunchedRun>('mlwb.tune', {
      uri: script, options: { sampler: 'random', nTrials: 5, direction: 'minimize', pruner: 'none', seed: 1 }, openPanel: false,
    });
    const runId = await run.started;
    assert.equal((await run.finished).status, 'completed');
    const s = await store();
    const study = s.getTuningSession(s.listTuningSessions(runId)[0].id)!;
    assert.equal(study.trials.length, 5);
    assert.equal(study.requestedSampler ?? study.sampler, 'random');
    assert.deepEqual(study.directions, ['minimize']);
    assert.ok(study.trials.every((t) => t.intermediate.length === 3), 'intermediate values recorded');
    const spec = String(study.config?.spec);
    assert.ok(spec.includes(join('.mlwb', 'tuning-specs')) && existsSync(spec), `the generated spec is kept: ${spec}`);
    assert.equal(JSON.parse(readFileSync(spec, 'utf8')).pruner, 'none');
  });

  it('stops a running session gracefully from the command: running trials finish, no new one starts', async () => {
    const slow = join(workspaceDir(), 'tune_slow.py');
    writeFileSync(slow, readFileSync(join(FIXTURES, 'tune_objective.py'), 'utf8').replace('"TUNE_FIXTURE_SLEEP", "0"', '"TUNE_FIXTURE_SLEEP", "0.15"'));
    const run = await vscode.commands.executeCommand<LaunchedRun>('mlwb.tune', { uri: slow, options: { sampler: 'random', nTrials: 300 } });
    const runId = await run.started;
    const a = await api();
    const sessionId = await waitFor(async () => {
      const s = await store();
      const x = s.listTuningSessions(runId)[0];
      return x && x.nTrials >= 2 ? x.id : undefined;
    }, 'two trials', 60_000);
    const panel = await panelView((p) => p.runId === runId, 'the live panel', (p) => p.lastView!.actions.stop);
    assert.equal(panel.lastView!.study.status, 'running');
    assert.equal(await vscode.commands.executeCommand('mlwb.stopTuning', sessionId), 'stopping');
    assert.equal((await run.finished).status, 'completed', 'a graceful stop ends the run normally');
    const s = await store();
    const study = s.getTuningSession(sessionId)!;
    assert.equal(study.status, 'stopped');
    assert.ok(study.trials.length < 300 && study.trials.every((t) => t.state === 'complete'), `${study.trials.length} trials, all complete`);
    await waitFor(() => a.tuning.panels.all().find((p) => p.studyId === sessionId && p.lastView?.study.status === 'stopped'), 'the panel shows it stopped');
  });

  it('opens an optuna SQLite study file and a journal file: the panel lists every study of the file', async () => {
    const db = join(workspaceDir(), 'studies.db');
    const log = join(workspaceDir(), 'studies.log');
    const code = String.raw`
import sys, optuna
from optuna.storages import JournalStorage, JournalFileStorage
optuna.logging.set_verbosity(optuna.logging.ERROR)
for storage in ("sqlite:///" + sys.argv[1], JournalStorage(JournalFileStorage(sys.argv[2]))):
    a = optuna.create_study(study_name="alpha", storage=storage, sampler=optuna.samplers.RandomSampler(seed=0))
    a.optimize(lambda t: t.suggest_float("x", -2, 2) ** 2 + t.suggest_int("n", 1, 3), n_trials=7)
    b = optuna.create_study(study_name="beta", storage=storage, directions=["minimize", "maximize"], sampler=optuna.samplers.RandomSampler(seed=1))
    b.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=5)
`;
    await promisify(execFile)(PYTHON, ['-c', code, db, log]);
    for (const file of [db, log]) {
      await vscode.commands.executeCommand('mlwb.openStudyFile', vscode.Uri.file(file), { study: 'beta' });
      const panel = await panelView((p) => p.source.kind === 'file' && p.source.file === file, `the panel of ${file}`);
      const view = panel.lastView!;
      assert.deepEqual(view.studies.map((x) => x.label), ['alpha', 'beta']);
      assert.equal(view.study.studyName, 'beta');
      assert.equal(view.study.trials.length, 5);
      assert.equal(view.study.directions.length, 2);
      assert.ok(view.study.bestTrials.length >= 1, 'a Pareto front');
      await panel.select(view.studies[0].id);
      assert.equal(panel.lastView!.study.studyName, 'alpha');
      assert.equal(panel.lastView!.study.trials.length, 7);
      assert.equal(panel.lastView!.actions.stop, false);
    }
    const notAStudy = join(workspaceDir(), 'notes.log');
    writeFileSync(notAStudy, 'just a log line\n');
    assert.equal(await vscode.commands.executeCommand('mlwb.openStudyFile', vscode.Uri.file(notAStudy)), undefined, 'an error message, no panel');
  });
});
