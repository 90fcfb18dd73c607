import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { storeLayout } from '../../../src/store/paths';
import { withRegistryLock } from '../../../src/store/registry-lock';
import { removeTempStores, tempStore } from './helpers';

describe('registry lock', () => {
  after(removeTempStores);
  const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid as number;
  const lockFile = (root: string) => path.join(root, 'registry', '.lock');
  const writeLock = (root: string, holder: object, ageMs = 0) => {
    const file = lockFile(root);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(holder));
    const t = new Date(Date.now() - ageMs);
    fs.utimesSync(file, t, t);
  };

  it('lets one holder in at a time and removes the lock after', async () => {
    const root = tempStore();
    const layout = storeLayout(root);
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withRegistryLock(layout, async () => {
          most = Math.max(most, ++inside);
          await new Promise((r) => setTimeout(r, 3));
          inside--;
        }),
      ),
    );
    assert.equal(most, 1);
    assert.ok(!fs.existsSync(lockFile(root)));
    await assert.rejects(withRegistryLock(layout, () => Promise.reject(new Error('inner'))), /inner/);
    assert.ok(!fs.existsSync(lockFile(root)), 'released on failure too');
  });

  it('takes over the lock of a dead process on this host, and of an old lock from another host', async () => {
    const root = tempStore();
    const layout = storeLayout(root);
    writeLock(root, { pid: deadPid(), host: os.hostname(), nonce: 'dead', ts: Date.now() });
    assert.equal(await withRegistryLock(layout, () => 'ran'), 'ran');
    writeLock(root, { pid: process.pid, host: 'elsewhere', nonce: 'old', ts: 0 }, 60_000);
    assert.equal(await withRegistryLock(layout, () => 'ran again'), 'ran again');
    writeLock(root, {}, 10_000); // unreadable and old: a writer that died between open and write
    assert.equal(await withRegistryLock(layout, () => 'and again'), 'and again');
  });

  it('waits for a live holder and says who holds it when it gives up', async () => {
    const root = tempStore();
    const layout = storeLayout(root);
    writeLock(root, { pid: process.pid, host: 'elsewhere', nonce: 'live', ts: Date.now() });
    await assert.rejects(withRegistryLock(layout, () => 'never', { timeoutMs: 100 }), /registry is busy .* held by process \d+ on elsewhere/);
    assert.ok(fs.existsSync(lockFile(root)), "someone else's lock is left alone");
  });
});
