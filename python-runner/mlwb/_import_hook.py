"""Patch a library right after the user's script imports it, without importing it ourselves.

Used by sklearn autolog and optuna autocapture: importing either eagerly would cost the script
seconds (and change what it imports), so a meta-path hook waits for the script's own import.
"""
import sys
from typing import Any, Callable, Dict, Optional

Patcher = Callable[[Any], None]


class PatchOnImport:
    """Meta-path hook: runs each module's patcher once, right after that module has been executed."""

    def __init__(self, hooks: Dict[str, Patcher], on_error: Callable[[str, Exception], None]) -> None:
        self.todo = dict(hooks)
        self.on_error = on_error

    def install(self) -> None:
        """Patches what is already imported now; hooks the rest."""
        for name in [n for n in self.todo if n in sys.modules]:
            self._apply(name, self.todo.pop(name), sys.modules[name])
        if self.todo and self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def remove(self) -> None:
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        patcher = self.todo.pop(fullname, None)
        if patcher is None:
            return None
        if not self.todo:
            self.remove()
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
            finally:
                try:
                    del loader.exec_module  # back to the class's method
                except AttributeError:
                    pass
            self._apply(fullname, patcher, module)

        try:
            loader.exec_module = exec_module
        except (AttributeError, TypeError):
            return spec
        return spec

    def invalidate_caches(self) -> None:
        pass

    def _apply(self, name: str, patcher: Patcher, module: Any) -> None:
        try:
            patcher(module)
        except Exception as e:  # a library we cannot patch must never break the user's script
            self.on_error(name, e)


def replace(current: Optional[PatchOnImport], new: PatchOnImport) -> PatchOnImport:
    """Swaps a module's hook for a new one (installing twice must not stack hooks)."""
    if current is not None:
        current.remove()
    new.install()
    return new
