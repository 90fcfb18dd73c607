import * as vscode from 'vscode';
import { registerExperimentCommands } from './experiments/experiment-commands';
import { ExperimentsView } from './experiments/experiments-view';
import { OverviewPanel, OVERVIEW_VIEW_TYPE } from './overview/overview-panel';
import { DisposableOwner } from './platform/disposables';
import { fileArgument } from './platform/active-file';
import { registerCommand } from './platform/commands';
import { log } from './platform/log';
import { WorkspaceStore } from './platform/workspace-store';
import { registerRunCommands } from './runs/run-commands';
import { registerRunDiff } from './runs/diff/run-diff';
import { registerRunPanels, type RunPanels } from './runs/panel-commands';
import { registerNotebookRunCommands } from './runs/notebook-commands';
import { registerRunsViewCommands } from './runs/runs-view-commands';
import { RunsView } from './runs/runs-view';
import { ModelsView } from './registry/models-view';
import { registerRegistryCommands, type Gatekeeper } from './registry/registry-commands';
import { VersionPanels, VERSION_VIEW_TYPE } from './registry/version-panel/version-panel';
import { RunCommands } from './runner/run-commands';
import { RunManager } from './runner/run-manager';
import { RunStatusBar } from './runner/run-status-bar';
import { registerModelSpecs, type ModelSpecs } from './modelspec';
import { registerEvaluate, type Evaluate } from './evaluate';
import { registerExplain, type Explain } from './explain';
import { registerServing, type Serving } from './serving';
import { TUNING_VIEW_TYPE } from './tuning/panel/tuning-panel';
import { TuningCommands } from './tuning/tuning-commands';
import type { RunSummary } from './store';
import { registerDatasetCommands } from './datasets/dataset-commands';
import type { DatasetPanels } from './datasets/panel/dataset-panel';
import { registerExampleProject } from './examples/example-project';
import { registerShowDevices } from './runner/devices';
import { SlurmCommands } from './slurm/slurm-commands';

/** Wires the pieces together; nothing heavy happens here (the store opens on first use). */
export function activate(context: vscode.ExtensionContext): WorkbenchApi {
  const started = Date.now();
  const owner = new DisposableOwner();
  context.subscriptions.push(owner);

  const store = owner.track(new WorkspaceStore(context.extensionUri));
  // The views refresh themselves on store changes (only what changed, and not while hidden).
  const experiments = owner.track(new ExperimentsView(store, context.workspaceState));
  const runs = owner.track(new RunsView(store, context.workspaceState));
  const selectedRuns = () => (runs.view.selection.length > 0 ? runs.view.selection : experiments.view.selection);
  for (const d of [
    ...registerExperimentCommands(store, experiments),
    ...registerRunCommands(store, selectedRuns),
    ...registerRunsViewCommands(store, runs, (experiment) => experiments.tree.loadMore(experiment)),
  ]) {
    owner.track(d);
  }

  const overview = owner.track(
    new OverviewPanel(context.extensionUri, async () => {
      const s = await store.get();
      return { storePath: s.layout.root, experiments: s.listExperiments().length, ...s.runActivity(14) };
    }),
  );
  owner.track(vscode.window.registerWebviewPanelSerializer(OVERVIEW_VIEW_TYPE, { deserializeWebviewPanel: async (panel) => overview.revive(panel) }));

  owner.track(
    store.onDidChange(() => {
      void overview.update();
    }),
  );

  const command = (id: string, fn: (...args: unknown[]) => unknown) => owner.track(registerCommand(id, fn));
  command('mlwb.showOverview', () => overview.show());
  command('mlwb.refresh', () => store.refresh());
  command('mlwb.rebuildIndex', () => store.rebuild());
  command('mlwb.showLog', () => log().show());

  const runner = owner.track(new RunManager(vscode.Uri.joinPath(context.extensionUri, 'python-runner').fsPath, store));
  const slurm = owner.track(new SlurmCommands(vscode.Uri.joinPath(context.extensionUri, 'python-runner').fsPath, store));
  owner.track(new RunStatusBar(runner, slurm));
  const updateHasRunning = () => void vscode.commands.executeCommand('setContext', 'mlwb.hasRunning', runner.active.length + slurm.scheduled.length > 0);
  owner.track(runner.onDidChange(updateHasRunning));
  owner.track(slurm.onDidChange(updateHasRunning));
  const runCommands = new RunCommands(runner, store, slurm);
  const runTarget = (arg: unknown) => (typeof arg === 'string' ? arg : isRunSummary(arg) ? arg : isRunNode(arg) ? arg.run : undefined);
  command('mlwb.runCurrentFile', (arg) => {
    const file = fileArgument(arg);
    return runCommands.runCurrentFile(file ? { uri: file } : (arg as object | undefined));
  });
  command('mlwb.runWithArguments', (arg) => runCommands.runWithArguments(fileArgument(arg)));
  command('mlwb.runOnGpu', (arg) => runCommands.runOnGpu(fileArgument(arg)));
  command('mlwb.rerun', (arg, opts) => {
    const target = runTarget(arg);
    if (!target) throw new Error('pick a run to rerun in the Runs view');
    return runCommands.rerun(target, (opts as { confirm?: boolean } | undefined) ?? {});
  });
  command('mlwb.cancelRun', (arg) => runCommands.cancel(runTarget(arg)));
  command('mlwb.showRunning', () => runCommands.showRunning());
  const slurmOptions = (arg: unknown) => {
    const file = fileArgument(arg);
    return file ? { uri: file } : (arg as object | undefined) ?? {};
  };
  command('mlwb.submitToSlurm', (arg) => slurm.submit(slurmOptions(arg)));
  command('mlwb.submitSweepToSlurm', (arg) => slurm.submitSweep(slurmOptions(arg)));
  command('mlwb.tuneOnSlurm', (arg) => slurm.tuneOnSlurm(slurmOptions(arg)));
  command('mlwb.showSlurmJobOutput', (arg) => slurm.showJobOutput(runTarget(arg)));
  const runPanels = registerRunPanels(context.extensionUri, store, selectedRuns);
  for (const d of runPanels.disposables) owner.track(d);
  for (const d of registerNotebookRunCommands(store)) owner.track(d);
  for (const d of registerRunDiff(store, selectedRuns)) owner.track(d);

  const models = owner.track(new ModelsView(store));
  const versions = owner.track(new VersionPanels(context.extensionUri, store));
  const gatekeeper: { current?: Gatekeeper } = {};
  for (const d of registerRegistryCommands(store, models, versions, gatekeeper)) owner.track(d);
  owner.track(vscode.window.registerWebviewPanelSerializer(VERSION_VIEW_TYPE, { deserializeWebviewPanel: async (panel, state) => versions.revive(panel, state) }));
  owner.track(store.onDidChange((changed) => void versions.update(changed)));

  const tuning = owner.track(new TuningCommands(context.extensionUri, store, runner, runCommands));
  owner.track(vscode.window.registerWebviewPanelSerializer(TUNING_VIEW_TYPE, { deserializeWebviewPanel: async (panel, state) => tuning.panels.revive(panel, state) }));
  command('mlwb.tune', (arg) => tuning.tune(arg as Parameters<TuningCommands['tune']>[0]));
  command('mlwb.openTuningSession', (arg) => tuning.openTuningSession(arg));
  command('mlwb.stopTuning', (arg, opts) => tuning.stop(arg, (opts as { now?: boolean } | undefined) ?? {}));
  command('mlwb.openStudyFile', (arg, opts) => tuning.openStudyFile(arg, (opts as { study?: string } | undefined) ?? {}));
  command('mlwb.trainWithBestParams', (arg) => tuning.trainWithBestParams(arg));
  command('mlwb.registerBestModel', (arg, opts) => tuning.registerBestModel(arg, (opts as { model?: string; description?: string } | undefined) ?? {}));

  const serving = registerServing(context, store, (d) => owner.track(d));
  models.tree.setServing(serving.servers);

  const modelSpecs = registerModelSpecs(context.extensionUri, store, vscode.Uri.joinPath(context.extensionUri, 'python-runner').fsPath, context.workspaceState, (d) => owner.track(d));

  const explain = registerExplain(context, store, (d) => owner.track(d));
  const evaluate = registerEvaluate(context, store, (d) => owner.track(d));
  gatekeeper.current = evaluate.gate;

  const datasets = registerDatasetCommands(context.extensionUri);
  for (const d of datasets.disposables) owner.track(d);
  owner.track(registerExampleProject(context.extensionUri));
  owner.track(registerShowDevices(vscode.Uri.joinPath(context.extensionUri, 'python-runner').fsPath));

  log().info(`activated in ${Date.now() - started} ms`);
  return { store, views: { experiments, runs, models }, versions, runner, slurm, panels: runPanels.panels, tuning, serving, modelSpecs, explain, evaluate, datasets: datasets.panels };
}

function isRunSummary(x: unknown): x is RunSummary {
  return typeof x === 'object' && x !== null && typeof (x as RunSummary).id === 'string' && typeof (x as RunSummary).status === 'string';
}

/** Tree nodes that wrap a run ({ run: RunSummary }). */
function isRunNode(x: unknown): x is { run: RunSummary } {
  return typeof x === 'object' && x !== null && isRunSummary((x as { run?: unknown }).run);
}

/** What tests (and other extensions) can reach: the workspace's store and the sidebar views. */
export interface WorkbenchApi {
  store: WorkspaceStore;
  views: { experiments: ExperimentsView; runs: RunsView; models: ModelsView };
  /** The open model version panels. */
  versions: VersionPanels;
  runner: RunManager;
  /** Slurm submissions and the jobs being followed. */
  slurm: SlurmCommands;
  /** The open run dashboards and comparisons. */
  panels: RunPanels;
  /** The open dataset profiles. */
  datasets: DatasetPanels;
  /** Tuning commands and the open tuning panels. */
  tuning: TuningCommands;
  /** Model servers, their panels and batch predictions. */
  serving: Serving;
  /** Model specs: their diagnostics and Model Architecture panels. */
  modelSpecs: ModelSpecs;
  /** Explain Model… jobs and the explanation panels. */
  explain: Explain;
  /** Evaluate Model… / Compare Models… jobs and the evaluation panels. */
  evaluate: Evaluate;
}

export function deactivate(): void {}
