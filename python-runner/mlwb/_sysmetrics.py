"""System metrics while a run runs: a daemon thread samples the machine and this process every
``MLWB_SYSTEM_METRICS_INTERVAL`` seconds (default 10; 0 disables) and logs them as ``system/*`` metrics.

psutil when importable, else ``/proc`` (Linux) and the standard library; GPUs from ``nvidia-smi`` when it
is on PATH (the same query as the extension's ``src/runner/gpus.ts``).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from typing import Any, Callable, Dict, List, Optional

INTERVAL_ENV = "MLWB_SYSTEM_METRICS_INTERVAL"
DEFAULT_INTERVAL_S = 10.0
NVIDIA_SMI_QUERY = ["--query-gpu=index,name,memory.total,memory.used,utilization.gpu,temperature.gpu",
                    "--format=csv,noheader,nounits"]
_GB = 1024 ** 3
_MB = 1024 ** 2


def interval_from_env(env: "Dict[str, str] | os._Environ[str]" = os.environ) -> float:
    raw = env.get(INTERVAL_ENV, "").strip()
    if not raw:
        return DEFAULT_INTERVAL_S
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_INTERVAL_S
    return max(0.0, value) if value == value else DEFAULT_INTERVAL_S


def _num(s: str) -> Optional[float]:
    try:
        v = float(s.strip())
    except ValueError:
        return None
    return v if v == v else None


def parse_nvidia_smi(text: str) -> List[Dict[str, Any]]:
    """Parses ``nvidia-smi --query-gpu=... --format=csv,noheader,nounits``; ``[N/A]`` fields are left out."""
    gpus: List[Dict[str, Any]] = []
    for line in text.splitlines():
        cols = [c.strip() for c in line.split(",")]
        if len(cols) < 5 or _num(cols[0]) is None:
            continue
        gpu: Dict[str, Any] = {"index": int(_num(cols[0]) or 0), "name": cols[1]}
        for key, col in (("memory_total_mb", 2), ("memory_used_mb", 3), ("utilization", 4), ("temperature_c", 5)):
            v = _num(cols[col]) if col < len(cols) else None
            if v is not None:
                gpu[key] = v
        gpus.append(gpu)
    return gpus


def gpu_metrics(gpus: List[Dict[str, Any]]) -> Dict[str, float]:
    out: Dict[str, float] = {}
    for g in gpus:
        for key in ("utilization", "memory_used_mb", "memory_total_mb", "temperature_c"):
            if key in g:
                out[f"gpu{g['index']}/{key}"] = float(g[key])
        if "memory_used_mb" in g and g.get("memory_total_mb"):
            out[f"gpu{g['index']}/memory_percent"] = 100.0 * g["memory_used_mb"] / g["memory_total_mb"]
    return out


class _ProcCpu:
    """CPU % of the machine from /proc/stat deltas (no psutil)."""

    def __init__(self) -> None:
        self._last = self._read()

    @staticmethod
    def _read() -> Optional[List[int]]:
        try:
            with open("/proc/stat") as f:
                parts = f.readline().split()[1:]
            return [int(p) for p in parts]
        except (OSError, ValueError):
            return None

    def percent(self) -> Optional[float]:
        now = self._read()
        last, self._last = self._last, now
        if now is None or last is None:
            return None
        total = sum(now) - sum(last)
        idle = (now[3] + (now[4] if len(now) > 4 else 0)) - (last[3] + (last[4] if len(last) > 4 else 0))
        return 100.0 * (total - idle) / total if total > 0 else None


def _proc_meminfo() -> Dict[str, int]:
    out: Dict[str, int] = {}
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                key, _, rest = line.partition(":")
                out[key] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return out


def _proc_rss() -> Optional[int]:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


class Sampler:
    """Takes one sample of ``system/*`` values (without the prefix) per call."""

    def __init__(self, disk_path: str = ".", nvidia_smi: Optional[str] = None) -> None:
        self.disk_path = disk_path
        self.nvidia_smi = nvidia_smi if nvidia_smi is not None else shutil.which("nvidia-smi")
        try:
            import psutil

            self._psutil: Any = psutil
            self._process = psutil.Process()
            psutil.cpu_percent(None)  # the first call only sets the reference point
            self._process.cpu_percent(None)
        except Exception:
            self._psutil = None
            self._proc_cpu = _ProcCpu()

    def sample(self) -> Dict[str, float]:
        out: Dict[str, float] = {}
        ps = self._psutil
        if ps is not None:
            out["cpu_percent"] = float(ps.cpu_percent(None))
            vm = ps.virtual_memory()
            out["ram_used_gb"] = (vm.total - vm.available) / _GB
            out["ram_percent"] = float(vm.percent)
            mem = self._process.memory_info()
            out["process_rss_mb"] = mem.rss / _MB
            out["process_cpu_percent"] = float(self._process.cpu_percent(None))
        else:
            cpu = self._proc_cpu.percent()
            if cpu is not None:
                out["cpu_percent"] = cpu
            info = _proc_meminfo()
            if "MemTotal" in info and "MemAvailable" in info:
                used = info["MemTotal"] - info["MemAvailable"]
                out["ram_used_gb"] = used / _GB
                out["ram_percent"] = 100.0 * used / info["MemTotal"]
            rss = _proc_rss()
            if rss is not None:
                out["process_rss_mb"] = rss / _MB
        try:
            du = shutil.disk_usage(self.disk_path)
            out["disk_used_percent"] = 100.0 * du.used / du.total if du.total else 0.0
        except OSError:
            pass
        if self.nvidia_smi:
            out.update(gpu_metrics(self._query_gpus()))
        return out

    def _query_gpus(self) -> List[Dict[str, Any]]:
        try:
            done = subprocess.run([self.nvidia_smi or "nvidia-smi", *NVIDIA_SMI_QUERY], capture_output=True,
                                  text=True, timeout=5)
        except (OSError, subprocess.SubprocessError):
            self.nvidia_smi = None  # gone or hanging: stop asking
            return []
        return parse_nvidia_smi(done.stdout) if done.returncode == 0 else []


class SystemMetrics:
    """A daemon thread logging ``system/<name>`` through ``log(values)`` every ``interval`` seconds:
    the first sample after ``min(1 s, interval)``, the next every ``interval``, a last one at ``stop()``."""

    def __init__(self, log: Callable[[Dict[str, float]], None], interval: float, sampler: Optional[Sampler] = None) -> None:
        self._log = log
        self.interval = interval
        self._sampler = sampler
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.samples = 0

    def start(self) -> "SystemMetrics":
        if self.interval <= 0:
            return self
        self._thread = threading.Thread(target=self._loop, name="mlwb-system-metrics", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        try:
            if self._sampler is None:
                self._sampler = Sampler()
        except Exception:
            return
        # psutil's CPU % is measured between calls: wait a little before the first sample
        if self._stop.wait(min(1.0, self.interval)):
            return
        while True:
            self._emit()
            if self._stop.wait(self.interval):
                return

    def _emit(self) -> None:
        try:
            values = self._sampler.sample() if self._sampler else {}
            if values:
                self._log({f"system/{k}": v for k, v in values.items()})
                self.samples += 1
        except Exception:
            pass  # never into the script

    def stop(self, final_sample: bool = True) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=6)
        # a script shorter than the first sample gets none: its charts would hold a single point
        if final_sample and self._sampler is not None and self.samples > 0:
            self._emit()
        self._thread = None


def start_for_run(append: Callable[[List[Any], Optional[float], float], None]) -> SystemMetrics:
    """Starts sampling into a run's journal (``Journal.append_points``); the x value is seconds since start."""
    started = time.time()

    def log(values: Dict[str, float]) -> None:
        now = time.time()
        append(list(values.items()), round(now - started, 3), now)

    return SystemMetrics(log, interval_from_env()).start()
