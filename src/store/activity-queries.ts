import type { Database } from 'sql.js';
import type { RunActivity } from './query-types';
import type { RunStatus } from './records';
import { all, one } from './sql';
import type { LivenessOptions } from './status';
import { crashedParam, VISIBLE_RUNS } from './visible-runs';

const STATUSES: readonly RunStatus[] = ['queued', 'running', 'completed', 'failed', 'cancelled', 'crashed'];
const DAY = 86_400;

const zero = (): Record<RunStatus, number> => ({ queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0, crashed: 0 });

/** Totals, runs by (derived) status, and runs started per UTC day over the last `days` days. */
export function runActivity(db: Database, liveness: LivenessOptions, days: number): RunActivity {
  const now = (liveness.now ?? Date.now()) / 1000;
  const firstDay = Math.floor(now / DAY) - (days - 1);
  const rows = all(
    db,
    `WITH ${VISIBLE_RUNS} SELECT v.eff_status AS status, CAST(v.created / ${DAY} AS INTEGER) AS day, COUNT(*) AS n FROM v GROUP BY 1, 2`,
    { $crashed: crashedParam(db, liveness) },
  );
  const byStatus = zero();
  const perDay = Array.from({ length: days }, (_, i) => ({ day: new Date((firstDay + i) * DAY * 1000).toISOString().slice(0, 10), counts: zero() }));
  let runs = 0;
  for (const r of rows) {
    const status = String(r.status) as RunStatus;
    if (!STATUSES.includes(status)) continue;
    const n = Number(r.n);
    runs += n;
    byStatus[status] += n;
    const slot = perDay[Number(r.day) - firstDay];
    if (slot) slot.counts[status] += n;
  }
  const models = Number(one(db, 'SELECT COUNT(*) AS n FROM models')?.n ?? 0); // registered models (deleted ones are gone)
  return { runs, models, byStatus, perDay };
}
