// A real single-node Slurm cluster on loopback for the tests: Debian's slurm-wlm (22.05) and munge,
// run as root in a container without systemd or cgroup delegation (hence proctrack/linuxproc,
// task/none, no cgroup plugins). Everything lives in one directory; every s* command finds the
// cluster through SLURM_CONF alone. No accounting (no slurmdbd): `sacct` fails here and followers
// read ended jobs from `scontrol show job`, which keeps them for MinJobAge (1 h).
//
//   import { ensureCluster } from './test/harness/slurm-cluster.mjs';
//   const { env } = await ensureCluster();   // { SLURM_CONF }: pass to sbatch/squeue/scancel/scontrol
//
// CLI: node test/harness/slurm-cluster.mjs start|stop|status   (start/status print JSON on stdout)
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import { hostname, cpus } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CLUSTER_DIR = process.env.MLWB_SLURM_DIR || '/tmp/mlwb-slurm';
const CONF = join(CLUSTER_DIR, 'slurm.conf');
const LOG_DIR = join(CLUSTER_DIR, 'log');
const MUNGE_SOCKET = join(CLUSTER_DIR, 'munge', 'munge.socket.2');
const MUNGE_KEY_DIR = join(CLUSTER_DIR, 'munge-key');
const LOCK_DIR = `${CLUSTER_DIR}.lock`;
// Ports apart from Slurm's defaults (6817/6818) so a real cluster on the machine is not disturbed.
const CTLD_PORT = 16817;
const SLURMD_PORT = 16818;
// Stand-in GPUs: there is no GPU here. Two character devices with /dev/null's numbers let Slurm
// schedule `--gres=gpu:N` and set CUDA_VISIBLE_DEVICES exactly as it does for real GPUs.
const FAKE_GPU_COUNT = 2;
const REQUIRED_BINARIES = ['sbatch', 'squeue', 'scancel', 'scontrol', 'sinfo', 'slurmctld', 'slurmd', 'munged'];
const PATH_DIRS = ['/usr/bin', '/usr/sbin', '/bin', '/sbin'];

const nodeName = () => hostname().split('.')[0];
const slurmEnv = () => ({ ...process.env, SLURM_CONF: CONF, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` });

/** Where a binary is, or undefined: Debian puts the daemons in /usr/sbin, often not on a test's PATH. */
function findBinary(name) {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...PATH_DIRS];
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

/** Why this machine cannot run the cluster (for a clear skip or error), or undefined when it can. */
export function unavailableReason() {
  const missing = REQUIRED_BINARIES.filter((b) => !findBinary(b));
  if (missing.length) return `Slurm is not installed (missing ${missing.join(', ')}): apt-get install slurm-wlm munge (.ci/setup.sh does)`;
  if (process.getuid?.() !== 0) return 'the test Slurm cluster needs root (slurmd launches jobs as the submitting user)';
  return undefined;
}

function realMemoryMb() {
  const kb = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  // slurmd drains a node whose configured memory exceeds what it measures: leave a margin.
  return Math.max(256, Math.floor((kb / 1024) * 0.9));
}

function slurmConf(node) {
  return `# Written by test/harness/slurm-cluster.mjs: a single-node test cluster on loopback.
ClusterName=mlwb
SlurmctldHost=${node}(127.0.0.1)
SlurmctldPort=${CTLD_PORT}
SlurmdPort=${SLURMD_PORT}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${MUNGE_SOCKET}
StateSaveLocation=${join(CLUSTER_DIR, 'state')}
SlurmdSpoolDir=${join(CLUSTER_DIR, 'spool')}
SlurmctldPidFile=${join(CLUSTER_DIR, 'slurmctld.pid')}
SlurmdPidFile=${join(CLUSTER_DIR, 'slurmd.pid')}
SlurmctldLogFile=${join(LOG_DIR, 'slurmctld.log')}
SlurmdLogFile=${join(LOG_DIR, 'slurmd.log')}
# No cgroup delegation in the container: track processes by parent pid, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=256
ReturnToService=2
# scancel: SIGTERM, then SIGKILL after KillWait seconds.
KillWait=3
# Ended jobs stay visible to \`scontrol show job\` for an hour (there is no accounting).
MinJobAge=3600
SchedulerType=sched/backfill
GresTypes=gpu
NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus().length} RealMemory=${realMemoryMb()} Gres=gpu:${FAKE_GPU_COUNT} State=UNKNOWN
PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP
`;
}

function gresConf(node) {
  const last = FAKE_GPU_COUNT - 1;
  return `# Stand-in GPUs (no GPU here): character devices with /dev/null's numbers.
NodeName=${node} Name=gpu File=${join(CLUSTER_DIR, 'fake-gpu')}/nvidia[0-${last}]
`;
}

function run(cmd, args, { timeoutMs = 10_000 } = {}) {
  const r = spawnSync(findBinary(cmd) ?? cmd, args, { env: slurmEnv(), encoding: 'utf8', timeout: timeoutMs });
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** The node's state as sinfo prints it ("idle", "mixed", "down*", ...), or undefined when no controller answers. */
function nodeState(node) {
  // sinfo waits seconds for a controller that is not there: ask only when ours is alive.
  const ctld = readPid('slurmctld.pid');
  if (!existsSync(CONF) || !ctld || !alive(ctld)) return undefined;
  const r = run('sinfo', ['--noheader', '-n', node, '-o', '%T'], { timeoutMs: 5_000 });
  return r.ok ? r.stdout.trim() || undefined : undefined;
}

const isUsable = (state) => /^(idle|mixed|allocated|completing)$/.test(state ?? '');

function readPid(file) {
  try {
    const pid = Number(readFileSync(join(CLUSTER_DIR, file), 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Stops the daemons this harness started (by their pid files only) and waits until they are gone. */
export async function stopCluster() {
  const pids = ['slurmd.pid', 'slurmctld.pid', join('munge', 'munged.pid')].map(readPid).filter((p) => p && alive(p));
  for (const pid of pids) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (pids.some(alive) && Date.now() < deadline) await sleep(100);
  for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
  return { stopped: pids };
}

function logTails() {
  const files = ['munged.log', 'slurmctld.log', 'slurmd.log'];
  return files
    .map((f) => {
      const p = join(LOG_DIR, f);
      const lines = existsSync(p) ? readFileSync(p, 'utf8').trimEnd().split('\n').slice(-15) : ['(no log)'];
      return `--- ${p}\n${lines.join('\n')}`;
    })
    .join('\n');
}

function startDaemon(cmd, args) {
  const r = run(cmd, args, { timeoutMs: 20_000 });
  if (!r.ok) throw new Error(`slurm-cluster: ${cmd} did not start: ${r.stderr.trim()}\n${logTails()}`);
}

function prepareDirs(node) {
  // A cold start forgets earlier jobs: a job left running by a crashed test would otherwise hold the CPUs.
  for (const d of ['state', 'spool', 'log']) rmSync(join(CLUSTER_DIR, d), { recursive: true, force: true });
  for (const d of ['state', 'spool', 'log', 'munge', 'fake-gpu']) mkdirSync(join(CLUSTER_DIR, d), { recursive: true });
  mkdirSync(MUNGE_KEY_DIR, { recursive: true, mode: 0o700 });
  // munged refuses a socket directory others cannot enter, and a key or seed others can read.
  chmodSync(CLUSTER_DIR, 0o755);
  chmodSync(join(CLUSTER_DIR, 'munge'), 0o755);
  chmodSync(MUNGE_KEY_DIR, 0o700);
  const key = join(MUNGE_KEY_DIR, 'munge.key');
  if (!existsSync(key)) writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  for (let i = 0; i < FAKE_GPU_COUNT; i++) {
    const dev = join(CLUSTER_DIR, 'fake-gpu', `nvidia${i}`);
    if (!existsSync(dev) || !statSync(dev).isCharacterDevice()) {
      rmSync(dev, { force: true });
      const r = spawnSync('mknod', ['-m', '666', dev, 'c', '1', '3'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`slurm-cluster: mknod ${dev} failed: ${r.stderr}`);
    }
  }
  writeFileSync(CONF, slurmConf(node));
  writeFileSync(join(CLUSTER_DIR, 'gres.conf'), gresConf(node));
}

async function coldStart(node, timeoutMs) {
  await stopCluster();
  prepareDirs(node);
  startDaemon('munged', [
    '--force',
    `--socket=${MUNGE_SOCKET}`,
    `--key-file=${join(MUNGE_KEY_DIR, 'munge.key')}`,
    `--seed-file=${join(MUNGE_KEY_DIR, 'munged.seed')}`,
    `--pid-file=${join(CLUSTER_DIR, 'munge', 'munged.pid')}`,
    `--log-file=${join(LOG_DIR, 'munged.log')}`,
  ]);
  startDaemon('slurmctld', []);
  startDaemon('slurmd', []);
  const deadline = Date.now() + timeoutMs;
  let state;
  while (Date.now() < deadline) {
    state = nodeState(node);
    if (isUsable(state)) return;
    await sleep(200);
  }
  throw new Error(`slurm-cluster: node ${node} not idle after ${timeoutMs / 1000} s (state: ${state ?? 'no answer'})\n${logTails()}`);
}

/** A lock shared by processes (a vscode test and pytest may both ensure the cluster at once). */
async function withLock(fn) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(join(LOCK_DIR, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const holder = Number(existsSync(join(LOCK_DIR, 'pid')) ? readFileSync(join(LOCK_DIR, 'pid'), 'utf8') : 0);
      if (holder && !alive(holder)) rmSync(LOCK_DIR, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`slurm-cluster: ${LOCK_DIR} held by pid ${holder} for 2 min`);
      else await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

/**
 * Starts the cluster unless one started by this harness (same config) already answers.
 * Returns { env: { SLURM_CONF }, dir, node, binDir, sbinDir, reused, startMs }.
 */
export async function ensureCluster({ timeoutMs = 60_000 } = {}) {
  const reason = unavailableReason();
  if (reason) throw new Error(`slurm-cluster: ${reason}`);
  const node = nodeName();
  const t0 = Date.now();
  const reused = await withLock(async () => {
    const sameConfig = existsSync(CONF) && readFileSync(CONF, 'utf8') === slurmConf(node);
    const state = sameConfig ? nodeState(node) : undefined;
    if (isUsable(state)) return true;
    if (state && /drain|down/.test(state) && run('scontrol', ['update', `NodeName=${node}`, 'State=RESUME']).ok) {
      await sleep(500);
      if (isUsable(nodeState(node))) return true;
    }
    await coldStart(node, timeoutMs);
    return false;
  });
  return {
    env: { SLURM_CONF: CONF },
    dir: CLUSTER_DIR,
    node,
    binDir: findBinary('sbatch') ? findBinary('sbatch').replace(/\/sbatch$/, '') : '/usr/bin',
    sbinDir: findBinary('slurmctld').replace(/\/slurmctld$/, ''),
    reused,
    startMs: Date.now() - t0,
  };
}

/**
 * The env a test layer gives code-server (started after this): the running cluster's SLURM_CONF for the
 * extension host's sbatch & co., or MLWB_SLURM_UNAVAILABLE=<why> when it cannot run here, for the tests to skip with.
 */
export async function testClusterEnv() {
  const reason = unavailableReason();
  if (reason) return { MLWB_SLURM_UNAVAILABLE: reason };
  try {
    return (await ensureCluster()).env;
  } catch (err) {
    return { MLWB_SLURM_UNAVAILABLE: `the test cluster did not start: ${err.message}` };
  }
}

/** What is running now, without starting anything. */
export function clusterStatus() {
  const node = nodeName();
  const state = nodeState(node);
  return {
    running: isUsable(state),
    nodeState: state ?? null,
    env: { SLURM_CONF: CONF },
    pids: { munged: readPid(join('munge', 'munged.pid')) ?? null, slurmctld: readPid('slurmctld.pid') ?? null, slurmd: readPid('slurmd.pid') ?? null },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const command = process.argv[2];
  try {
    if (command === 'start') console.log(JSON.stringify(await ensureCluster()));
    else if (command === 'stop') console.log(JSON.stringify(await stopCluster()));
    else if (command === 'status') console.log(JSON.stringify(clusterStatus()));
    else {
      console.error('usage: node test/harness/slurm-cluster.mjs start|stop|status');
      process.exit(2);
    }
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
