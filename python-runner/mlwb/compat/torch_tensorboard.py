"""``torch.utils.tensorboard`` where torch is installed but TensorBoard is not (Debian's python3-torch, a lean venv).

torch's module starts with ``import tensorboard`` and fails there. A stand-in ``tensorboard`` package would not do:
torch's writer needs TensorBoard's protobuf internals, and a fake ``tensorboard`` would make other libraries think
TensorBoard is installed. So a meta-path finder watches this one import: the real module is executed first, and
only if that fails *because TensorBoard is missing* does the module become the stand-in (``SummaryWriter`` from
``tensorboard_api``; submodules from ``_torch_tb``). A working TensorBoard install is never touched.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Optional

from . import _notes

NAME = "torch.utils.tensorboard"
_TB_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_torch_tb")


def _missing_tensorboard(e: ImportError) -> bool:
    if isinstance(e, ModuleNotFoundError) and (e.name or "").split(".")[0] == "tensorboard":
        return True
    return "requires TensorBoard" in str(e)


def become_standin(module: Any, cause: ImportError) -> None:
    from .tensorboard_api import SummaryWriter

    for key in [k for k in vars(module) if not k.startswith("__")]:
        delattr(module, key)  # whatever the failed import left half-done
    module.SummaryWriter = SummaryWriter
    module.__path__ = [_TB_DIR]
    module.__mlwb_standin__ = True
    module.__doc__ = "mlwb's stand-in for torch.utils.tensorboard (TensorBoard is not installed)."
    _notes.note("standin:torch.utils.tensorboard", f"torch.utils.tensorboard cannot import TensorBoard ({cause}): mlwb's "
                "stand-in SummaryWriter is in use (scalars, hparams, text, figures, images and histogram summaries go "
                "into this run); what it does not support is said once in this log")


class TensorBoardFallback:
    """Meta-path finder for ``torch.utils.tensorboard`` only."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != NAME:
            return None
        spec = None
        for finder in list(sys.meta_path):
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        loader = getattr(spec, "loader", None)
        if spec is None or loader is None or not hasattr(loader, "exec_module"):
            return spec
        original = loader.exec_module

        def exec_module(module: Any) -> None:
            try:
                original(module)
            except ImportError as e:
                if not _missing_tensorboard(e):
                    raise
                become_standin(module, e)
            finally:
                try:
                    del loader.exec_module
                except AttributeError:
                    pass

        try:
            loader.exec_module = exec_module
        except (AttributeError, TypeError):
            pass
        return spec

    def invalidate_caches(self) -> None:
        pass


_finder: Optional[TensorBoardFallback] = None


def install() -> None:
    global _finder
    if _finder is None:
        _finder = TensorBoardFallback()
        sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    global _finder
    if _finder is not None:
        try:
            sys.meta_path.remove(_finder)
        except ValueError:
            pass
        _finder = None
