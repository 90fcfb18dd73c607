// A stand-in for the extension host, run as a child process by the store fault tests: the real
// TrackingStore on a store directory, doing what a VS Code window does with it.
//   node store-driver.js ingest-loop <store> <seed>    edits, refreshes and saves until killed
//   node store-driver.js window <store> <seed> <ops> <name> <model file>
//        <ops> edits (runs, experiments, registry), then "done"; on "snapshot" from stdin, refreshes,
//        writes its snapshot to <store>/../<name>.snapshot.json and closes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrackingStore } from '../../src/store/tracking-store';
import { snapshot } from '../unit/store/snapshot';
import { openStore, seededRandom } from './store-fault-helpers';

const [mode, root, seedText, ...rest] = process.argv.slice(2);
const random = seededRandom(Number(seedText));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const say = (line: string): boolean => process.stdout.write(`${line}\n`);

/** One UI edit of a run or an experiment; returns what it did, journaled by the time it resolves. */
async function editSomething(store: TrackingStore, tag: string): Promise<string> {
  const run = pick(store.listRuns().runs).id;
  switch (Math.floor(random() * 4)) {
    case 0:
      await store.renameRun(run, `name ${tag}`);
      return `run.renamed ${run} name ${tag}`;
    case 1:
      await store.setRunNotes(run, `notes ${tag}`);
      return `run.notes ${run} notes ${tag}`;
    case 2:
      await store.setRunTags(run, [`t-${tag}`, 'shared']);
      return `run.tags ${run} t-${tag}`;
    default: {
      const exp = pick(store.listExperiments()).id;
      await store.describeExperiment(exp, `about ${tag}`);
      return `experiment.described ${exp} about ${tag}`;
    }
  }
}

async function ingestLoop(): Promise<void> {
  const store = await openStore(root);
  say(`open ${store.opened.rebuilt ?? ''}`);
  for (let n = 0; ; n++) {
    say(`edited ${await editSomething(store, `k${process.pid}-${n}`)}`);
    await store.refresh();
    await store.saveNow();
    say(`saved ${n}`);
  }
}

/** Registry edits under registry/.lock: register, promote, alias; the answers say what the lock decided. */
async function registryEdit(store: TrackingStore, name: string, modelFile: string, n: number): Promise<string> {
  const models = store.listModels();
  if (models.length === 0 || n < 15 || random() < 0.3) {
    const { model, version } = await store.registerVersion(pick(['shared-model', `${name}-model`]), { sourceFile: modelFile, description: `${name} ${n}` });
    return `registered ${model} ${version} ${name} ${n}`;
  }
  const model = pick(models).name;
  const version = pick(store.listVersions(model)).version;
  if (random() < 0.5) {
    await store.setStage(model, version, pick(['staging', 'production', 'production', 'archived'] as const));
    return `stage ${model} ${version}`;
  }
  const alias = pick(['champion', 'challenger']);
  const { previous } = await store.setAlias(model, alias, version);
  return `alias ${model} ${alias} ${version} ${previous ?? '-'}`;
}

let stdin = '';
process.stdin.on('data', (d) => (stdin += d));

/** Resolves once the test wrote `word` on stdin. */
async function heard(word: string): Promise<void> {
  while (!stdin.includes(word)) await new Promise((r) => setTimeout(r, 5));
}

async function window(): Promise<void> {
  const [opsText, name, modelFile] = rest;
  const store = await openStore(root);
  say('open');
  await heard('go'); // both windows start editing together
  for (let n = 0; n < Number(opsText); n++) {
    // A burst of registrations first: both windows start together, so their registry changes overlap.
    const did = n < 15 || random() < 0.35 ? await registryEdit(store, name, modelFile, n) : await editSomething(store, `${name}-${n}`);
    say(`did ${did}`);
    if (random() < 0.3) await store.refresh();
    if (random() < 0.1) await store.saveNow();
  }
  say('done');
  await heard('snapshot');
  await store.refresh();
  fs.writeFileSync(path.join(path.dirname(root), `${name}.snapshot.json`), JSON.stringify(snapshot(store)));
  await store.close();
  say('closed');
}

(mode === 'window' ? window() : ingestLoop()).catch((err: unknown) => {
  process.stderr.write(`store-driver failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
