"""``python -m mlwb run NB.ipynb [--param k=v ...]``: a notebook executed headless on a Jupyter kernel, as a run.

nbclient and ipykernel are optional (apt: python3-nbclient python3-nbformat python3-ipykernel); they are
imported only here, when a notebook runs. The kernel runs in a thread so that the runner's main thread stays
free for Ctrl+C / cancel: that interrupts the kernel (the cell ends with KeyboardInterrupt), then the kernel is
shut down and the run ends *cancelled*.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
import threading
import warnings
from typing import Any, Dict, Iterator, List, Optional, Tuple

PACKAGES = (("nbformat", "python3-nbformat"), ("nbclient", "python3-nbclient"), ("ipykernel", "python3-ipykernel"))
EXECUTED_FILE = "notebook/executed.ipynb"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class NotebookError(Exception):
    """Bad notebook, bad --param, or a missing package: exit 2 before any run exists."""


class CellError(Exception):
    """A cell raised: the message names the cell, its failing line and the kernel's traceback."""


def missing_packages() -> List[str]:
    """The packages this interpreter lacks to run a notebook, as 'module (apt: pkg)'."""
    missing = []
    for module, apt in PACKAGES:
        try:
            __import__(module)
        except ImportError:
            missing.append(f"{module} (apt install {apt}, or pip install {module})")
    return missing


def parse_params(args: List[str]) -> Dict[str, Any]:
    """``--param name=value`` (value read as JSON when it parses: 3, 0.1, true, "x", [1, 2]; else a string)."""
    params: Dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--param" or arg == "-p":
            i += 1
            if i >= len(args):
                raise NotebookError(f"{arg} needs name=value")
            spec = args[i]
        elif arg.startswith("--param="):
            spec = arg[len("--param="):]
        else:
            raise NotebookError(f"unknown argument {arg!r} for a notebook (use --param name=value)")
        name, eq, raw = spec.partition("=")
        name = name.strip()
        if not eq or not name.isidentifier():
            raise NotebookError(f"--param {spec!r}: expected name=value with a Python identifier as name")
        try:
            params[name] = json.loads(raw)
        except ValueError:
            params[name] = raw
        i += 1
    return params


def load(path: str) -> Any:
    import nbformat

    try:
        with _quiet_format_warnings():
            nb = nbformat.read(path, as_version=4)
    except Exception as e:  # JSON or schema errors: say which file
        raise NotebookError(f"{os.path.basename(path)} is not a readable notebook: {e}") from None
    return nb


def code_of(path: str) -> str:
    """A notebook's code cells as one Python module (standard library only): what a tuning spec's objective
    is read from when its ``script`` is a notebook. IPython's magics and shell escapes (``%``, ``!``) become
    comments (``%%`` cells are left out); line numbers stay those of each cell within the module."""
    try:
        with open(path, encoding="utf-8") as f:
            nb = json.load(f)
        cells = nb["cells"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise NotebookError(f"{os.path.basename(path)} is not a readable notebook: {e}") from None
    parts: List[str] = []
    for k, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if source.lstrip().startswith("%%"):
            continue
        lines = [f"# {line}" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
        parts.append(f"# -- cell {k}\n" + "\n".join(lines))
    return "\n\n".join(parts) + "\n"


@contextlib.contextmanager
def _quiet_format_warnings() -> Iterator[None]:
    """nbformat warns on every read and write of a v4.5 notebook whose cells lack ids (hand-written or generated
    ones): that is about the file, not the user's code, and would otherwise land in the run's log twice."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"(Code c|C)ell is missing an id field")
        yield


def inject_parameters(nb: Any, params: Dict[str, Any]) -> None:
    """Papermill's convention: the values go in a new cell after the one tagged ``parameters`` (else first)."""
    if not params:
        return
    import nbformat

    source = "# Parameters (injected by mlwb)\n" + "".join(f"{k} = {v!r}\n" for k, v in params.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    at = 0
    for i, c in enumerate(nb.cells):
        if "parameters" in (c.get("metadata", {}).get("tags") or []):
            at = i + 1
            break
    nb.cells.insert(at, cell)


def _injected(cell: Any) -> bool:
    return "injected-parameters" in (cell.get("metadata", {}).get("tags") or [])


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:80]
    return ""


def _failing_line(cell_source: str, tb: List[str]) -> Tuple[Optional[int], str]:
    """The cell's line the traceback points at (IPython marks it ``---> N``), with its text."""
    for frame in tb:
        for line in _ANSI.sub("", frame).splitlines():
            m = re.match(r"\s*-+>\s*(\d+)\s", line)
            if m:
                n = int(m.group(1))
                lines = cell_source.splitlines()
                return n, (lines[n - 1].strip() if 0 < n <= len(lines) else "")
    return None, ""


def _client_class() -> Any:
    from nbclient import NotebookClient

    class StreamingClient(NotebookClient):  # type: ignore[misc]
        """Cell outputs go to the runner's stdout/stderr as they come: into the run's log."""

        def output(self, outs: Any, msg: Dict[str, Any], display_id: Any, cell_index: int) -> Any:
            content = msg.get("content", {})
            kind = msg.get("msg_type")
            if kind == "stream":
                (sys.stderr if content.get("name") == "stderr" else sys.stdout).write(content.get("text", ""))
            elif kind in ("execute_result", "display_data"):
                text = content.get("data", {}).get("text/plain")
                if text:
                    sys.stdout.write(text + "\n")
            return super().output(outs, msg, display_id, cell_index)

    return StreamingClient


def execute(path: str, params: Dict[str, Any], autolog: bool = True, trackers: bool = True) -> None:
    """Run the notebook cell by cell on a kernel (the run's ``main``); the executed notebook becomes a run file."""
    from nbclient.exceptions import CellExecutionError
    from . import _ambient

    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # the kernel's debugger warning, on every start
    nb = load(path)
    inject_parameters(nb, params)
    exp = _ambient.owner()
    if exp is not None and params:
        exp.params.set(**params)
    if exp is not None and exp.id:  # the kernel loads mlwb as an IPython extension and writes into this run
        from ._kernel import HOOKS_ENV, RUNNER_RUN_ENV

        os.environ[RUNNER_RUN_ENV] = exp.id
        os.environ[HOOKS_ENV] = ",".join(h for h, on in (("autolog", autolog), ("trackers", trackers)) if on)
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    n = sum(1 for _, c in code if not _injected(c))  # "cell k of n" counts the notebook's own cells
    client = _client_class()(nb, timeout=None, allow_errors=False, record_timing=True, extra_arguments=["--ext=mlwb"],
                             resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    state: Dict[str, Any] = {"error": None, "done": threading.Event(), "cell": None}

    def work() -> None:
        try:
            with client.setup_kernel():
                k = 0
                for index, cell in code:
                    if not _injected(cell):
                        k += 1
                        say_progress(k, n, cell.source)
                    state["cell"] = (k, cell)
                    client.execute_cell(cell, index)
        except BaseException as e:  # noqa: BLE001 (reported by the main thread)
            state["error"] = e
        finally:
            state["done"].set()

    thread = threading.Thread(target=work, name="mlwb-notebook", daemon=True)
    thread.start()
    interrupted = False
    try:
        while not state["done"].wait(0.2):
            pass
    except KeyboardInterrupt:
        interrupted = True
        km = client.km
        if km is not None:
            from nbclient.util import run_sync

            try:
                run_sync(km.interrupt_kernel)()  # an AsyncKernelManager: SIGINT to the kernel process
            except Exception:
                pass
        state["done"].wait(30)  # the interrupted cell ends, setup_kernel shuts the kernel down
    finally:
        _save_executed(nb)
    if interrupted:
        raise KeyboardInterrupt
    err = state["error"]
    if isinstance(err, CellExecutionError):
        k, cell = state["cell"]
        raise CellError(_describe_failure(k, n, cell)) from None
    if err is not None:
        raise err


def _describe_failure(k: int, n: int, cell: Any) -> str:
    err = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
    ename, evalue, tb = (err.get("ename", "Error"), err.get("evalue", ""), list(err.get("traceback", []))) if err else ("Error", "", [])
    line_no, line = _failing_line(cell.source, tb)
    where = ("the injected parameters cell" if _injected(cell) else f"cell {k} of {n}") + (f", line {line_no}: {line}" if line_no else "")
    trace = _ANSI.sub("", "\n".join(tb))
    return f"{ename}: {evalue} ({where})\n{trace}"


def say_progress(k: int, n: int, source: str) -> None:
    """Cell k of n and its first line: the status bar, the progress notification and the run's log."""
    from . import _ambient

    message = f"cell {k} of {n}: {_first_line(source)}"
    _ambient.progress(k - 1, n, message)
    _ambient.runner_log(message)


def _save_executed(nb: Any) -> None:
    import nbformat
    from . import _ambient

    exp = _ambient.owner()
    if exp is None:
        return
    fd, tmp = tempfile.mkstemp(suffix=".ipynb")
    os.close(fd)
    try:
        with _quiet_format_warnings():
            nbformat.write(nb, tmp)
        exp.files().save(tmp, to=EXECUTED_FILE, description="the notebook as executed, with its outputs")
    finally:
        os.unlink(tmp)
