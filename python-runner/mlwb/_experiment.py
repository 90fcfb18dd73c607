"""``Experiment``: identity, run start/end, and the entry points to params, logs, metrics and files."""
from __future__ import annotations

import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from . import _ambient, _kernel
from ._files import FileBuilder, FileTable
from ._journal import Journal
from ._lifecycle import RunManager, describe, register, unregister
from ._logs import Logs, log_record
from ._manifest import build_manifest, script_path
from ._metrics import Metrics
from ._params import Params
from ._records import ExperimentRef, RunStatus, record
from ._secrets import redact
from ._store import PathLike, atomic_write_json, create_run_dir, resolve_store


def default_name() -> str:
    """The running script's name without ``.py``, or ``"default"`` (notebooks, ``python -c``)."""
    script = script_path()
    if script is None or script.name == "ipykernel_launcher.py":
        return "default"
    return script.stem


def parse_ref(prefix: str, readme: Optional[str] = None, tags: Optional[Sequence[str]] = None,
              metadata: Optional[Dict[str, Any]] = None) -> ExperimentRef:
    """``"owner/project/folder.../name"`` -> ExperimentRef; ``"project/name"`` and ``"name"`` work too."""
    parts = [p.strip() for p in str(prefix).replace("\\", "/").split("/") if p.strip()]
    if not parts:
        raise ValueError(f"experiment name must not be empty, got {prefix!r}")
    ref: ExperimentRef = {"id": "/".join(parts), "name": parts[-1]}
    if len(parts) == 2:
        ref["project"] = parts[0]
    elif len(parts) >= 3:
        ref["owner"], ref["project"] = parts[0], parts[1]
        if len(parts) > 3:
            ref["folder"] = "/".join(parts[2:-1])
    if readme:
        ref["readme"] = readme
    if tags:
        ref["tags"] = list(tags)
    if metadata:
        ref["metadata"] = dict(metadata)
    return ref


def _save_cells(exp: "Experiment") -> None:
    """In a notebook's kernel, the executed cells go with the run (never an error for the script)."""
    try:
        _kernel.save_cells(exp)
    except Exception as e:
        print(f"mlwb: could not save the notebook's executed cells: {e!r}", file=sys.stderr)


@dataclass
class _Run:
    id: str
    dir: Path
    journal: Journal
    files: FileTable


class Experiment:
    """A named experiment whose runs are tracked into the local store.

    ``name_or_prefix`` is ``"owner/project/folder.../name"`` (or ``"project/name"``, or ``"name"``);
    it defaults to the script's name. Each start creates a new run ``<store>/runs/<id>/`` -- except
    under ``python -m mlwb run``, where the first Experiment started in the process claims the run the
    runner already started for the script (same id and directory; a ``claimed`` record names this
    experiment).

    Example:
        >>> from mlwb import Experiment
        >>> with Experiment("alice/mnist/baseline", tags=["cnn"]) as exp:
        ...     exp.params.set(lr=1e-3, model={"layers": 4})
        ...     for epoch in range(3):
        ...         exp.metrics.log(epoch=epoch, train=dict(loss=1 / (epoch + 1)))
        ...     exp.files("configs").save_json({"lr": 1e-3}, to="config.json")
        >>> exp.status
        'completed'
    """

    def __init__(
        self,
        name_or_prefix: Optional[str] = None,
        *,
        readme: Optional[str] = None,
        tags: Optional[Sequence[str]] = None,
        metadata: Optional[Dict[str, Any]] = None,
        root: Optional[PathLike] = None,
        run_name: Optional[str] = None,
    ) -> None:
        self._ref = parse_ref(name_or_prefix or default_name(), readme, tags, metadata)
        self._root = root
        self._run_name = run_name
        self._auto = False  # True for `dxp`: first use starts a run instead of raising
        self._parent: Optional[str] = None  # the run this one is nested in (run.json's "parent"; MLflow nested runs)
        self._lock = threading.RLock()
        self._run: Optional[_Run] = None
        self._last: Optional[_Run] = None
        self._status: Optional[RunStatus] = None
        self.run = RunManager(self)
        self.params = Params(self)
        self.logs = Logs(self)
        self.metrics = Metrics(self)

    # -- identity -------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._ref["name"]

    @property
    def project(self) -> Optional[str]:
        return self._ref.get("project")

    @property
    def owner(self) -> Optional[str]:
        return self._ref.get("owner")

    @property
    def folder(self) -> Optional[str]:
        return self._ref.get("folder")

    @property
    def readme(self) -> Optional[str]:
        return self._ref.get("readme")

    @property
    def tags(self) -> List[str]:
        return list(self._ref.get("tags", []))

    @property
    def metadata(self) -> Dict[str, Any]:
        return dict(self._ref.get("metadata", {}))

    @property
    def id(self) -> Optional[str]:
        """The id of the current (or last) run; None before the first start."""
        run = self._run or self._last
        return run.id if run else None

    @property
    def run_dir(self) -> Optional[Path]:
        """``<store>/runs/<id>`` of the current (or last) run."""
        run = self._run or self._last
        return run.dir if run else None

    @property
    def status(self) -> Optional[RunStatus]:
        """``running``, ``completed``, ``failed`` or ``cancelled``; None before the first start."""
        return self._status

    def __repr__(self) -> str:
        return f"Experiment({self._ref['id']!r}, run={self.id!r}, status={self._status!r})"

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> "Experiment":
        """Start a new run (no-op while one is open); writes ``run.json`` and a ``running`` status."""
        with self._lock:
            if self._run is not None:
                return self
            if _ambient._current is not None and not self._parent and self._claim():  # a nested run is never the script's
                return self
            run_id, run_dir = create_run_dir(resolve_store(self._root))
            name = self._run_name or f"{self._ref['name']}-{run_id[-6:]}"
            manifest = build_manifest(run_id, name, self._ref, self._ref.get("tags"), self._ref.get("metadata"))
            parent = self._parent or _kernel.runner_run()  # a run in the kernel of `mlwb run NB.ipynb` nests in its run
            if parent:
                manifest["parent"] = parent
            atomic_write_json(run_dir / "run.json", manifest)
            journal = Journal(run_dir / "events.jsonl")
            journal.add(record("status", status="running"))
            if self.params.get():
                journal.add(self.params._record())
            self._run = _Run(run_id, run_dir, journal, FileTable(run_dir / "files"))
            self._status = "running"
            register(self)
        return self

    def _continue(self, run_dir: Path, manifest: Dict[str, Any], first: List[Dict[str, Any]]) -> "Experiment":
        """Take over a run created ahead of this process (``python -m mlwb run --run-id``): append ``first``
        (where it runs, the scheduler's state), a ``claimed`` record when this experiment or name differs
        from run.json's, then ``running``. run.json is never rewritten."""
        with self._lock:
            if self._run is not None:
                raise RuntimeError(f"experiment {self._ref['id']!r} already has an open run")
            journal = Journal(run_dir / "events.jsonl")
            for rec in first:
                journal.add(rec)
            name = self._run_name or str(manifest.get("name") or f"{self._ref['name']}-{run_dir.name[-6:]}")
            if self._ref["id"] != manifest["experiment"].get("id") or name != manifest.get("name"):
                journal.add(record("claimed", experiment=self._ref, name=name))
            journal.add(record("status", status="running"))
            if self.params.get():
                journal.add(self.params._record())
            self._run = _Run(run_dir.name, run_dir, journal, FileTable(run_dir / "files"))
            self._status = "running"
            register(self)
        return self

    def _attach(self, run_dir: Path) -> "Experiment":
        """Write into a run that another process holds open and ends (the kernel of ``mlwb run NB.ipynb`` writes into
        the runner's run): nothing is recorded on attaching, and this process never ends the run by itself."""
        with self._lock:
            if self._run is not None:
                raise RuntimeError(f"experiment {self._ref['id']!r} already has an open run")
            self._run = _Run(run_dir.name, run_dir, Journal(run_dir / "events.jsonl"), FileTable(run_dir / "files"))
            self._status = "running"
        return self

    def _claim(self) -> bool:
        """Under ``python -m mlwb run``: take over the run the runner started for the script, if still
        unclaimed (the first Experiment started in the process gets it). Called with the lock held."""
        run = _ambient.claim(self)
        if run is None:
            return False
        name = self._run_name or f"{self._ref['name']}-{run.id[-6:]}"
        run.journal.add(record("claimed", experiment=self._ref, name=name))
        if self.params.get():
            run.journal.add(self.params._record())
        self._run = run
        self._status = "running"
        register(self)
        _ambient.claimed(self, name)
        return True

    def complete(self) -> "Experiment":
        """End the open run as ``completed`` (no-op when none is open)."""
        return self._finish("completed")

    def fail(self, error: "BaseException | str | None" = None) -> "Experiment":
        """End the open run as ``failed``; ``error`` (default: the exception being handled) gives the
        message and, for an exception, the traceback."""
        if error is None:
            error = sys.exc_info()[1]
        if isinstance(error, BaseException):
            tb = "".join(traceback.format_exception(type(error), error, error.__traceback__))
            return self._finish("failed", error=describe(error), traceback=tb)
        return self._finish("failed", error=str(error) if error is not None else None)

    def cancel(self) -> "Experiment":
        """End the open run as ``cancelled``."""
        return self._finish("cancelled")

    def __enter__(self) -> "Experiment":
        return self.run.__enter__()

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> bool:
        return self.run.__exit__(exc_type, exc, tb)

    def _close_for(self, exc: Optional[BaseException]) -> None:
        """End the run according to how its block ended."""
        if exc is None:
            self.complete()
        elif isinstance(exc, KeyboardInterrupt):
            self.cancel()
        elif isinstance(exc, SystemExit) and exc.code in (0, None):
            self.complete()
        elif isinstance(exc, SystemExit):
            code = exc.code if isinstance(exc.code, int) else 1
            self._finish("failed", error=f"SystemExit: {exc.code}", exit_code=code)
        else:
            self.fail(exc)

    def _finish(self, status: RunStatus, **fields: Any) -> "Experiment":
        with self._lock:
            run = self._run
            if run is None:
                return self
            if _ambient._current is not None:
                _ambient.finishing(self, run)
            _save_cells(self)
            text = {k: redact(v) if k in ("error", "traceback") and isinstance(v, str) else v for k, v in fields.items() if v is not None}
            run.journal.close(record("status", status=status, **text))
            self._run, self._last, self._status = None, run, status
            unregister(self)
        return self

    # -- data -----------------------------------------------------------------------------

    def log(self, message: Any, level: str = "info", metadata: Optional[Dict[str, Any]] = None, **meta: Any) -> None:
        """Log a message at ``level`` (debug, info, warn, error, fatal) with optional metadata.

        Example:
            >>> exp.log("epoch done", epoch=3, loss=0.12)
            >>> exp.log("low memory", level="warn", metadata={"free_mb": 120})
        """
        rec = log_record(redact(str(message)), level, metadata, meta)
        self._journal().add(rec)

    def files(self, prefix: str = "", *, file_id: Optional[str] = None, description: Optional[str] = None,
              tags: Optional[Sequence[str]] = None, metadata: Optional[Dict[str, Any]] = None) -> FileBuilder:
        """Files of the current run under ``prefix`` (see :class:`FileBuilder`)."""
        return FileBuilder(self, prefix, file_id=file_id, description=description, tags=tags, metadata=metadata)

    def flush(self) -> "Experiment":
        """Write everything pending to the journal now (it also happens every second and at exit)."""
        run = self._run
        if run is not None:
            _save_cells(self)
            run.journal.flush()
        return self

    # -- used by the parts ------------------------------------------------------------------

    def _require_run(self) -> _Run:
        run = self._run
        if run is None:
            if not self._auto:
                raise RuntimeError(
                    f"experiment {self._ref['id']!r} has no open run: use `with exp.run:`, `@exp.run` "
                    "or `exp.run.start()` first"
                )
            self.start()
            run = self._run
            assert run is not None
        return run

    def _journal(self) -> Journal:
        run = self._run
        return run.journal if run is not None else self._require_run().journal

    def _events_path(self) -> Optional[Path]:
        run = self._run or self._last
        return run.dir / "events.jsonl" if run else None

    def _on_params(self, params: Params) -> None:
        run = self._run
        if run is not None:
            run.journal.add(params._record())
        elif self._auto:
            self.start()  # writes the params
        # else: written when the run starts
