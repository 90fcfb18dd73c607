import * as fs from 'node:fs';
import { spaceOf, withDerived } from '../analysis';
import type { TuningDistribution, TuningStudy, TuningTrial } from '../model';
import { externalValue, parseDistribution, studyDirection, timestamp, trialState, type OptunaDistributionJson } from './optuna-common';

/**
 * Studies of an optuna JournalFileStorage log (`JournalStorage(JournalFileStorage("x.log"))`): JSON lines of
 * operations replayed as optuna 3.1's JournalStorageReplayResult replays them for a new reader (duplicate
 * study names ignored, deleted studies dropped, updates of finished trials ignored). Python writes
 * NaN/Infinity bare: they are read too. A torn last line (a writer mid-append) is left out, as optuna does.
 */
export function readOptunaJournalFile(file: string): TuningStudy[] {
  return readOptunaJournal(fs.readFileSync(file, 'utf8'), file);
}

const enum Op {
  CreateStudy = 0, DeleteStudy = 1, SetStudyUserAttr = 2, SetStudySystemAttr = 3, CreateTrial = 4, SetTrialParam = 5,
  SetTrialStateValues = 6, SetTrialIntermediateValue = 7, SetTrialUserAttr = 8, SetTrialSystemAttr = 9,
}

interface StudyState {
  id: number;
  name: string;
  directions: TuningStudy['directions'];
  userAttrs: Record<string, unknown>;
  systemAttrs: Record<string, unknown>;
  trialIds: number[];
}

interface TrialState extends TuningTrial {
  study: number;
  inter: Map<number, number>;
}

type Log = Record<string, unknown>;

export function readOptunaJournal(text: string, file: string): TuningStudy[] {
  const lines = text.split('\n');
  const logs: Log[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    try {
      logs.push(parsePythonJson(line) as Log);
    } catch (err) {
      if (i >= lines.length - 2 && !text.endsWith('\n')) break; // torn last line
      throw new Error(`${file}:${i + 1}: not an optuna journal line: ${(err as Error).message}`);
    }
  }
  const studies = new Map<number, StudyState>();
  const trials: TrialState[] = [];
  let nextStudy = 0;
  const updatable = (id: unknown): TrialState | undefined => {
    const t = trials[Number(id)];
    return t && (t.state === 'running' || t.state === 'waiting') ? t : undefined;
  };
  for (const log of logs) {
    switch (Number(log.op_code)) {
      case Op.CreateStudy: {
        const name = String(log.study_name);
        if ([...studies.values()].some((s) => s.name === name)) break;
        const id = nextStudy++;
        studies.set(id, { id, name, directions: (log.directions as unknown[]).map(studyDirection), userAttrs: {}, systemAttrs: {}, trialIds: [] });
        break;
      }
      case Op.DeleteStudy:
        studies.delete(Number(log.study_id));
        break;
      case Op.SetStudyUserAttr:
        Object.assign(studies.get(Number(log.study_id))?.userAttrs ?? {}, log.user_attr);
        break;
      case Op.SetStudySystemAttr:
        Object.assign(studies.get(Number(log.study_id))?.systemAttrs ?? {}, log.system_attr);
        break;
      case Op.CreateTrial: {
        const study = studies.get(Number(log.study_id));
        if (!study) break;
        const dists: Record<string, TuningDistribution> = {};
        for (const [k, v] of Object.entries((log.distributions as Record<string, string | OptunaDistributionJson>) ?? {})) dists[k] = parseDistribution(v);
        const params: Record<string, unknown> = {};
        for (const [k, v] of Object.entries((log.params as Record<string, number>) ?? {})) params[k] = externalValue(dists[k], v);
        const inter = new Map<number, number>();
        for (const [k, v] of Object.entries((log.intermediate_values as Record<string, number>) ?? {})) inter.set(Number(k), v);
        const values = Array.isArray(log.values) ? (log.values as number[]) : typeof log.value === 'number' ? [log.value] : null;
        const t: TrialState = {
          study: study.id, number: study.trialIds.length, state: trialState(log.state ?? 0), params, distributions: dists, values,
          intermediate: [], inter, userAttrs: { ...((log.user_attrs as Record<string, unknown>) ?? {}) },
          systemAttrs: { ...((log.system_attrs as Record<string, unknown>) ?? {}) },
        };
        setTime(t, 'start', log.datetime_start);
        if ('datetime_complete' in log) setTime(t, 'complete', log.datetime_complete);
        study.trialIds.push(trials.length);
        trials.push(t);
        break;
      }
      case Op.SetTrialParam: {
        const t = updatable(log.trial_id);
        if (!t) break;
        const name = String(log.param_name);
        const d = parseDistribution(log.distribution as string);
        t.distributions[name] = d;
        t.params[name] = externalValue(d, Number(log.param_value_internal));
        break;
      }
      case Op.SetTrialStateValues: {
        const t = updatable(log.trial_id);
        if (!t) break;
        const state = trialState(log.state);
        if (state === 'running' && t.state === 'running') break;
        if (state === 'running') setTime(t, 'start', log.datetime_start);
        if (state === 'complete' || state === 'pruned' || state === 'fail') setTime(t, 'complete', log.datetime_complete);
        t.state = state;
        if (log.values !== null && log.values !== undefined) t.values = log.values as number[];
        break;
      }
      case Op.SetTrialIntermediateValue: {
        const t = updatable(log.trial_id);
        if (t) t.inter.set(Number(log.step), log.intermediate_value as number);
        break;
      }
      case Op.SetTrialUserAttr: {
        const t = updatable(log.trial_id);
        if (t) Object.assign(t.userAttrs!, log.user_attr);
        break;
      }
      case Op.SetTrialSystemAttr: {
        const t = updatable(log.trial_id);
        if (t) Object.assign(t.systemAttrs!, log.system_attr);
        break;
      }
      default:
        throw new Error(`${file}: unknown optuna journal operation ${JSON.stringify(log.op_code)}`);
    }
  }
  return [...studies.values()].map((s) => {
    const list: TuningTrial[] = s.trialIds.map((id) => {
      const { study: _study, inter, ...t } = trials[id];
      void _study;
      t.intermediate = [...inter.entries()].sort((a, b) => a[0] - b[0]).map(([step, value]) => ({ step, value }));
      if (t.started !== undefined && t.ended !== undefined) t.durationMs = Math.round((t.ended - t.started) * 1e6) / 1e3;
      return t;
    });
    return withDerived({
      id: `${file}#${s.id}`, studyName: s.name, directions: s.directions, source: 'optuna-journal', space: spaceOf(list),
      status: list.some((t) => t.state === 'running' || t.state === 'waiting') ? 'running' : 'completed', trials: list,
      userAttrs: s.userAttrs, systemAttrs: s.systemAttrs,
    });
  });
}

function setTime(t: TuningTrial, which: 'start' | 'complete', v: unknown): void {
  const ts = timestamp(v);
  if (which === 'start') {
    t.datetimeStart = ts?.iso;
    t.started = ts?.epoch;
    if (!ts) delete t.datetimeStart, delete t.started;
  } else {
    t.datetimeComplete = ts?.iso;
    t.ended = ts?.epoch;
    if (!ts) delete t.datetimeComplete, delete t.ended;
  }
}

const NAN = '\u0000NaN';
const INF = '\u0000Infinity';
const NEG_INF = '\u0000-Infinity';

/** JSON.parse that also takes Python's bare NaN, Infinity and -Infinity (json.dumps writes them). */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!/NaN|Infinity/.test(text)) throw err;
  }
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
    } else if (text.startsWith('NaN', i)) {
      out += JSON.stringify(NAN);
      i += 2;
    } else if (text.startsWith('-Infinity', i)) {
      out += JSON.stringify(NEG_INF);
      i += 8;
    } else if (text.startsWith('Infinity', i)) {
      out += JSON.stringify(INF);
      i += 7;
    } else out += c;
  }
  return JSON.parse(out, (_k, v) => (v === NAN ? NaN : v === INF ? Infinity : v === NEG_INF ? -Infinity : v));
}
