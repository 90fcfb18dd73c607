import * as assert from 'node:assert/strict';
import { now, openStore, removeTempStores, RunWriter, tempStore } from './helpers';

describe('run activity (the overview)', () => {
  after(removeTempStores);

  it('counts runs by derived status and by the UTC day they started, over the asked window', async () => {
    const root = tempStore();
    const day = 86_400;
    const today = Math.floor(now() / day) * day + 60;
    const finished = (id: string, created: number, status: 'completed' | 'failed') =>
      new RunWriter(root, { id, created }).events({ t: 'status', ts: created + 1, status });
    finished('r-today-1', today, 'completed');
    finished('r-today-2', today + 5, 'failed');
    finished('r-yesterday', today - day, 'completed');
    finished('r-old', today - 40 * day, 'completed');
    new RunWriter(root, { id: 'r-dead', created: today + 10, pid: 2 ** 22 + 12345 }); // never finished, pid gone
    const store = await openStore(root);
    try {
      const a = store.runActivity(7);
      assert.equal(a.runs, 5);
      assert.deepEqual(a.byStatus, { queued: 0, running: 0, completed: 3, failed: 1, cancelled: 0, crashed: 1 });
      assert.equal(a.perDay.length, 7);
      assert.equal(a.perDay[6].day, new Date(today * 1000).toISOString().slice(0, 10));
      assert.deepEqual(a.perDay[6].counts, { queued: 0, running: 0, completed: 1, failed: 1, cancelled: 0, crashed: 1 });
      assert.equal(a.perDay[5].counts.completed, 1);
      assert.equal(a.perDay.reduce((n, d) => n + Object.values(d.counts).reduce((x, y) => x + y, 0), 0), 4, 'the 40-day-old run is outside the window');
      assert.equal(a.models, 0);
    } finally {
      await store.close();
    }
  });
});
