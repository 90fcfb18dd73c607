"""System metrics (system/*) during runs: a real run through ``python -m mlwb run``, the /proc fallback,
and nvidia-smi parsing on recorded output (there is no GPU here: the sample is a stand-in, as its name says)."""
from __future__ import annotations

import os
import stat
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import run_dirs, run_runner, series, statuses, wait_for
from mlwb import _sysmetrics

STANDIN = Path(__file__).parent / "data" / "nvidia-smi-recorded-standin.csv"


def test_parses_recorded_nvidia_smi_output_standin() -> None:
    gpus = _sysmetrics.parse_nvidia_smi(STANDIN.read_text())
    assert [g["index"] for g in gpus] == [0, 1, 2]
    assert gpus[1] == {"index": 1, "name": "NVIDIA A100-SXM4-40GB", "memory_total_mb": 40960.0,
                       "memory_used_mb": 39000.0, "utilization": 99.0, "temperature_c": 71.0}
    assert gpus[2] == {"index": 2, "name": "Tesla T4", "memory_total_mb": 15360.0}  # [N/A] left out
    m = _sysmetrics.gpu_metrics(gpus)
    assert m["gpu1/utilization"] == 99.0 and m["gpu0/temperature_c"] == 45.0
    assert m["gpu1/memory_percent"] == pytest.approx(100 * 39000 / 40960)
    assert "gpu2/utilization" not in m and "gpu2/memory_used_mb" not in m


def test_sampler_reads_a_standin_nvidia_smi_executable(tmp_path: Path) -> None:
    exe = tmp_path / "nvidia-smi-standin"
    exe.write_text(f"#!/bin/sh\ncat '{STANDIN}'\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    values = _sysmetrics.Sampler(nvidia_smi=str(exe)).sample()
    assert values["gpu0/memory_used_mb"] == 1024.0 and values["gpu1/temperature_c"] == 71.0
    for key in ("cpu_percent", "ram_used_gb", "ram_percent", "process_rss_mb", "disk_used_percent"):
        assert key in values, key
    assert 0 < values["process_rss_mb"] < 100_000


def test_without_psutil_reads_proc(monkeypatch: pytest.MonkeyPatch) -> None:
    if not os.path.exists("/proc/meminfo"):
        pytest.skip("needs Linux /proc")
    monkeypatch.setitem(sys.modules, "psutil", None)  # import psutil -> ImportError
    sampler = _sysmetrics.Sampler(nvidia_smi="")
    assert sampler._psutil is None
    sum(i * i for i in range(200_000))
    # /proc/stat counts in ticks: with none elapsed since the sampler's first reading there is no CPU % yet.
    first = sum(_sysmetrics._ProcCpu._read() or [])
    wait_for(lambda: sum(_sysmetrics._ProcCpu._read() or []) > first, "a /proc/stat tick", 10)
    values = sampler.sample()
    assert 0 <= values["cpu_percent"] <= 100
    assert 0 < values["ram_percent"] < 100 and values["ram_used_gb"] > 0
    assert values["process_rss_mb"] > 1
    assert not any(k.startswith("gpu") for k in values)


@pytest.mark.parametrize("raw,expected", [("", 10.0), ("0", 0.0), ("0.5", 0.5), ("-3", 0.0), ("x", 10.0), ("nan", 10.0)])
def test_interval_from_env(raw: str, expected: float) -> None:
    assert _sysmetrics.interval_from_env({_sysmetrics.INTERVAL_ENV: raw}) == expected


def _sleeping_script(tmp_path: Path, seconds: float) -> Path:
    script = tmp_path / "work.py"
    script.write_text(textwrap.dedent(f"""
        import time
        blob = bytearray(20 * 1024 * 1024)
        end = time.time() + {seconds}
        while time.time() < end:
            sum(range(10000))
        print("done")
    """))
    return script


def test_a_real_run_has_system_metrics(store: Path, tmp_path: Path) -> None:
    done = run_runner(_sleeping_script(tmp_path, 1.6), store, extra_env={_sysmetrics.INTERVAL_ENV: "0.3"})
    assert done.returncode == 0, done.stderr
    (run,) = run_dirs(store)
    s = series(run)
    for key in ("system/cpu_percent", "system/ram_used_gb", "system/ram_percent", "system/process_rss_mb",
                "system/disk_used_percent"):
        assert key in s, sorted(s)
        assert len(s[key]["value"]) >= 3, (key, s[key])
    steps = s["system/process_rss_mb"]["step"]
    assert steps == sorted(steps) and steps[0] >= 0.2, steps  # seconds since the run started
    assert max(s["system/process_rss_mb"]["value"]) > 20  # the script's 20 MB buffer shows
    assert statuses(run)[-1]["status"] == "completed"


def test_interval_zero_disables_them(store: Path, tmp_path: Path) -> None:
    done = run_runner(_sleeping_script(tmp_path, 1.2), store, extra_env={_sysmetrics.INTERVAL_ENV: "0"})
    assert done.returncode == 0, done.stderr
    (run,) = run_dirs(store)
    assert not [k for k in series(run) if k.startswith("system/")]


def test_sdk_run_claiming_the_runner_run_still_gets_them(store: Path, tmp_path: Path) -> None:
    script = tmp_path / "sdk.py"
    script.write_text(textwrap.dedent("""
        import time
        from mlwb import Experiment
        with Experiment("sysm").run as exp:
            for i in range(4):
                exp.metrics.log(step=i, loss=1 / (i + 1))
                time.sleep(0.4)
    """))
    done = run_runner(script, store, extra_env={_sysmetrics.INTERVAL_ENV: "0.3"})
    assert done.returncode == 0, done.stderr
    (run,) = run_dirs(store)
    s = series(run)
    assert "loss" in s and len(s["system/cpu_percent"]["value"]) >= 2, sorted(s)
