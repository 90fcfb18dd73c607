"""``system/info`` and ``python -m mlwb info``: interpreter, machine, key packages, CUDA as torch sees it.

Never the environment. Heavy imports (torch) happen only when asked (``probe_cuda``) or when the
script has already imported them.
"""
from __future__ import annotations

import importlib.util
import os
import platform
import socket
import sys
from typing import Any, Dict, List, Optional

from ._protocol import SystemInfo

PACKAGES = ("numpy", "pandas", "scipy", "scikit-learn", "torch", "tensorflow", "xgboost", "lightgbm", "optuna",
            "shap", "psutil", "matplotlib", "jax")
# capability name -> importable top-level module
_OPTIONAL = {"torch": "torch", "optuna": "optuna", "psutil": "psutil", "xgboost": "xgboost", "shap": "shap"}


def importable(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it."""
    if module in sys.modules:
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def package_versions(names: "tuple[str, ...]" = PACKAGES) -> Dict[str, str]:
    from importlib import metadata

    out: Dict[str, str] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except Exception:
            pass
    return out


def memory_bytes() -> Optional[int]:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        pass
    if importable("psutil"):
        try:
            import psutil

            return int(psutil.virtual_memory().total)
        except Exception:
            return None
    return None


def cuda_info() -> Optional[Dict[str, Any]]:
    try:
        import torch
    except Exception:
        return None
    try:
        available = bool(torch.cuda.is_available())
        devices: List[Dict[str, Any]] = []
        if available:
            for i in range(torch.cuda.device_count()):
                props = torch.cuda.get_device_properties(i)
                devices.append({"index": i, "name": str(props.name), "memoryBytes": int(props.total_memory)})
        return {"available": available, "devices": devices}
    except Exception:
        return {"available": False, "devices": []}


def system_info(probe_cuda: bool = False) -> SystemInfo:
    """What the extension's ``system/info`` request returns (see ``SystemInfo`` in protocol.ts)."""
    info: Dict[str, Any] = {
        "python": {
            "executable": sys.executable,
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
        },
        "platform": platform.platform(),
        "host": socket.gethostname(),
        "cpuCount": os.cpu_count() or 1,
        "packages": package_versions(),
    }
    mem = memory_bytes()
    if mem:
        info["memoryBytes"] = mem
    if "torch" in sys.modules or (probe_cuda and importable("torch")):
        cuda = cuda_info()
        if cuda is not None:
            info["cuda"] = cuda
    return info  # type: ignore[return-value]


def capabilities(autolog: bool) -> List[str]:
    """What this runner can do here, for the handshake."""
    caps = ["cancel", "systemInfo", "progress", "claim", "events"]
    if autolog and importable("sklearn"):
        caps.append("sklearn.autolog")
    caps.extend(name for name, mod in _OPTIONAL.items() if importable(mod))
    return caps
