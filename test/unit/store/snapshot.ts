import type { TrackingStore } from '../../../src/store/tracking-store';

/** Everything the UI can ask of a store, for comparing two indexes of the same journals. */
export function snapshot(store: TrackingStore): unknown {
  const experiments = store.listExperiments({ includeArchived: true });
  const runs = store.listRuns().runs;
  const models = store.listModels();
  return {
    experiments,
    runs,
    details: runs.map((r) => store.getRun(r.id)),
    series: runs.flatMap((r) => (store.getRun(r.id)?.metrics ?? []).map((m) => store.getSeries(r.id, m.key, { width: 50 }))),
    models,
    versions: models.map((m) => store.listVersions(m.name).map((v) => store.getVersion(m.name, v.version))),
    aliases: models.map((m) => Object.keys(m.aliases).map((a) => store.versionByAlias(m.name, a))),
    history: models.map((m) => store.modelHistory(m.name)),
    activity: store.runActivity(3).models,
    problems: store.problems().sort((a, b) => `${a.file}:${a.offset}`.localeCompare(`${b.file}:${b.offset}`)),
  };
}
