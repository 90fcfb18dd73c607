import { execFile } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { registerCommand } from '../platform/commands';
import { queryGpus, type Gpu, type GpuQuery } from './gpus';
import { resolveInterpreter } from './interpreter';

/** What `mlwb.showDevices` shows: GPUs (nvidia-smi), CUDA as the selected interpreter sees it (torch), CPU and RAM. */
export interface DevicesReport {
  gpus: GpuQuery;
  python?: { path: string; version?: string };
  /** From `python -m mlwb info`; undefined when torch is not installed there. */
  cuda?: { available: boolean; devices: { index: number; name: string; memoryBytes: number }[] };
  torch?: string;
  pythonError?: string;
  cpu: { model: string; count: number };
  memory: { totalBytes: number; freeBytes: number };
}

export async function collectDevices(runnerDir: string, python: string | undefined, nvidiaSmi?: string): Promise<DevicesReport> {
  const cpus = os.cpus();
  const report: DevicesReport = {
    gpus: await queryGpus(nvidiaSmi),
    cpu: { model: cpus[0]?.model.trim() ?? 'unknown', count: cpus.length },
    memory: { totalBytes: os.totalmem(), freeBytes: os.freemem() },
  };
  if (python) {
    report.python = { path: python };
    try {
      const info = JSON.parse(await runInfo(python, runnerDir)) as { python?: { version?: string }; cuda?: DevicesReport['cuda']; packages?: Record<string, string> };
      report.python.version = info.python?.version;
      report.cuda = info.cuda;
      report.torch = info.packages?.torch;
    } catch (err) {
      report.pythonError = (err as Error).message;
    }
  }
  return report;
}

function runInfo(python: string, runnerDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, PYTHONPATH: [runnerDir, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) };
    execFile(python, ['-m', 'mlwb', 'info'], { env, timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error((stderr || err.message).trim().split('\n').pop())) : resolve(stdout)));
  });
}

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
const mib = (m: number) => (m >= 1024 ? `${(m / 1024).toFixed(1)} GiB` : `${m} MiB`);

export function devicesMarkdown(r: DevicesReport): string {
  const lines = ['# Devices', ''];
  lines.push('## GPUs (nvidia-smi)', '');
  if (r.gpus.ok) {
    lines.push('| # | name | memory used / total | utilisation | temperature |', '|---|---|---|---|---|');
    for (const g of r.gpus.gpus as Gpu[]) {
      lines.push(`| ${g.index} | ${g.name} | ${mib(g.memoryUsedMiB)} / ${mib(g.memoryTotalMiB)} | ${g.utilizationPct}% | ${g.temperatureC === undefined ? '–' : `${g.temperatureC} °C`} |`);
    }
  } else {
    lines.push(`None: ${r.gpus.reason}. Training runs on the CPU.`);
  }
  lines.push('', '## CUDA as the selected interpreter sees it', '');
  if (!r.python) lines.push('No usable Python interpreter.');
  else {
    lines.push(`Interpreter: \`${r.python.path}\`${r.python.version ? ` (Python ${r.python.version})` : ''}`, '');
    if (r.pythonError) lines.push(`Could not ask it: ${r.pythonError}`);
    else if (!r.cuda) lines.push('PyTorch is not installed there, so CUDA cannot be checked.');
    else if (!r.cuda.available) lines.push(`PyTorch ${r.torch ?? ''} is installed, CUDA is **not available** (a CPU-only build, or no driver).`);
    else {
      lines.push(`PyTorch ${r.torch ?? ''}: CUDA available, ${r.cuda.devices.length} device(s).`, '', '| # | name | memory |', '|---|---|---|');
      for (const d of r.cuda.devices) lines.push(`| ${d.index} | ${d.name} | ${gib(d.memoryBytes)} |`);
    }
  }
  lines.push('', '## CPU and memory', '', `- CPU: ${r.cpu.model}, ${r.cpu.count} logical cores`, `- RAM: ${gib(r.memory.totalBytes)} total, ${gib(r.memory.freeBytes)} free`, '');
  return lines.join('\n');
}

/** `mlwb.showDevices`: a Markdown preview of the report; returns the report (tests, scripts). `{ show: false }` skips the preview. */
export function registerShowDevices(runnerDir: string): vscode.Disposable {
  return registerCommand('mlwb.showDevices', async (arg?: unknown) => {
    const show = !(typeof arg === 'object' && arg !== null && (arg as { show?: unknown }).show === false);
    const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Looking for devices' }, async () => {
      const python = await resolveInterpreter(vscode.window.activeTextEditor?.document.uri);
      return collectDevices(runnerDir, python?.path);
    });
    if (show) {
      const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: devicesMarkdown(report) });
      await vscode.commands.executeCommand('markdown.showPreview', doc.uri);
    }
    return report;
  });
}
