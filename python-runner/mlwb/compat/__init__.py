"""Tracker compatibility under ``python -m mlwb run``: scripts written for MLflow, Weights & Biases or TensorBoard
run unchanged, and what they log reaches the run.

- Where the library is missing, a stand-in takes its place: ``mlwb/_standins`` (``mlflow``, ``wandb``,
  ``tensorboardX``) is appended to the END of ``sys.path``, so a real installed package always wins; and
  ``torch.utils.tensorboard``, whose import fails without the ``tensorboard`` package, gets the stand-in
  ``SummaryWriter`` (``torch_tensorboard.py``).
- Where the library is installed, it stays in charge and its logging calls are mirrored into the run, patched
  when the script imports it (``mirrors.py``).

Each adapter is a thin translation onto the SDK (``_runs.py``); what it cannot do it says once (``_notes.py``).
``python -m mlwb run --no-trackers`` turns all of it off.
"""
from __future__ import annotations

import os
import sys
from . import _notes

STANDINS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "_standins")

_installed = False


def install() -> None:
    """Stand-ins at the end of sys.path, the torch.utils.tensorboard fallback and the mirrors of real packages."""
    global _installed
    from . import mirrors, torch_tensorboard

    if STANDINS_DIR not in sys.path:
        sys.path.append(STANDINS_DIR)
    torch_tensorboard.install()
    mirrors.install()
    _installed = True


def uninstall() -> None:
    global _installed
    if not _installed:
        return
    from . import mirrors, torch_tensorboard

    mirrors.uninstall()
    torch_tensorboard.uninstall()
    try:
        sys.path.remove(STANDINS_DIR)
    except ValueError:
        pass
    _notes.reset()
    _installed = False
