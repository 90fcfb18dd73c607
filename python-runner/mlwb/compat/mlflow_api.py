"""MLflow's fluent API (``mlflow.start_run``, ``log_metric``...) and ``MlflowClient`` on mlwb runs.

The stand-in package (``mlwb/_standins/mlflow``) is this module under MLflow's names. Mapping:

- ``start_run``: the first claims the script's run (the runner's), later top-level ones are runs of their own;
  ``nested=True`` (or ``parent_run_id``) starts a run of its own whose run.json names its ``parent``; autolog and
  the other adapters log into the innermost active run. ``end_run(status)``: FINISHED/FAILED/KILLED ->
  completed/failed/cancelled. Logging with no active run starts one, as MLflow does.
- params, metrics (``step`` as given; without one each key counts up from 0, where MLflow would put every point at
  step 0; ``timestamp`` in ms), key/value tags (``tags`` records), artifacts (run files under the same paths).
- The read side (``get_run``, ``search_runs``, ``list_artifacts``, ``get_metric_history``...) reads the store's
  files, so it sees every run of the workspace, including those of other processes.
"""
from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence

from .. import _ambient, _autolog
from .._experiment import Experiment
from .._store import resolve_store
from . import _notes, _runs, _store_reader, run_filter
from ._media import dataframe_rows, image_png
from .mlflow_entities import (Experiment as MlflowExperiment, FileInfo, Metric, MlflowException, Run, RunInputs, RunStatus,
                              ViewType, to_run)
from .mlflow_models import Dataset, copy_out

_END_STATUS = {"FINISHED": "completed", "FAILED": "failed", "KILLED": "cancelled"}


class ActiveRun(Run):
    """What ``start_run`` returns: a context manager; ``info`` and ``data`` are read when asked (always current)."""

    def __init__(self, exp: Experiment) -> None:  # noqa: D107 (Run's fields are properties here)
        self._exp = exp
        self._id = str(exp.id)

    __eq__ = object.__eq__  # the dataclass's would read the run from the store
    __hash__ = object.__hash__

    @property  # type: ignore[override]
    def info(self) -> Any:
        return _get_run(self._id).info

    @property  # type: ignore[override]
    def data(self) -> Any:
        return _get_run(self._id).data

    @property  # type: ignore[override]
    def inputs(self) -> RunInputs:
        return RunInputs()

    def __enter__(self) -> "ActiveRun":
        return self

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> bool:
        _end(self, exc=exc, status=None)
        return False

    def __repr__(self) -> str:
        return f"<ActiveRun: run_id={self._id!r}>"


class _State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.stack: List[ActiveRun] = []
        self.experiment: Optional[str] = None
        self.created_experiments: Dict[str, Dict[str, str]] = {}
        self.last: Optional[ActiveRun] = None
        self.opened: Dict[str, Experiment] = {}  # every run opened through the API in this process


_state = _State()


def _reset() -> None:
    """Forget the process's MLflow state (the runner calls it when a run of the script ends)."""
    global _state
    _state = _State()


# -- fluent: runs -----------------------------------------------------------------------------------

def start_run(run_id: Optional[str] = None, experiment_id: Optional[str] = None, run_name: Optional[str] = None,
              nested: bool = False, parent_run_id: Optional[str] = None, tags: Optional[Dict[str, Any]] = None,
              description: Optional[str] = None, log_system_metrics: Optional[bool] = None) -> ActiveRun:
    with _state.lock:
        stack = _state.stack
        if stack and not nested and parent_run_id is None:
            raise MlflowException(f"Run with UUID {stack[-1]._id} is already active. To start a nested run, call "
                                  "start_run with nested=True")
        if run_id is not None:
            return _resume(run_id)
        parent = parent_run_id or (stack[-1]._id if nested and stack else None)
        parent_exp = _state.opened.get(parent) if parent else None
        experiment = (experiment_id or os.environ.get("MLFLOW_EXPERIMENT_NAME") or os.environ.get("MLFLOW_EXPERIMENT_ID")
                      or _state.experiment or (parent_exp._ref["id"] if parent_exp is not None else None))
        exp = _runs.open_run(experiment, run_name) if parent is None else _runs.open_nested(experiment, run_name, parent)
        all_tags = dict(tags or {})
        if description is not None:
            all_tags["mlflow.note.content"] = description
        _set_tags(exp, all_tags)
        active = ActiveRun(exp)
        _state.opened[active._id] = exp
        stack.append(active)
        _ambient.push_target(exp)
        return active


def _resume(run_id: str) -> ActiveRun:
    exp = _state.opened.get(run_id)
    if exp is None:
        rr = _ambient.current()
        if rr is not None and rr.run_id == run_id and not rr.claimed:
            exp = _runs.open_run()
    if exp is None or exp._run is None:
        raise MlflowException(f"the mlflow stand-in cannot resume run {run_id!r}: only a run still open in this process "
                              "can be continued (an ended run's journal is closed)", "INVALID_PARAMETER_VALUE")
    active = ActiveRun(exp)
    _state.opened[active._id] = exp
    _state.stack.append(active)
    _ambient.push_target(exp)
    return active


def end_run(status: str = RunStatus.FINISHED) -> None:
    with _state.lock:
        if _state.stack:
            _end(_state.stack[-1], exc=None, status=status)


def _end(active: ActiveRun, exc: Optional[BaseException], status: Optional[str]) -> None:
    with _state.lock:
        if active in _state.stack:
            _state.stack.remove(active)
        _ambient.pop_target(active._exp)
        _state.last = active
        exp = active._exp
        if status is None:
            exp._close_for(exc)
            return
        mapped = _END_STATUS.get(str(status).upper())
        if mapped is None:
            raise MlflowException(f"invalid run status {status!r} (FINISHED, FAILED or KILLED)", "INVALID_PARAMETER_VALUE")
        if mapped == "completed":
            exp.complete()
        elif mapped == "cancelled":
            exp.cancel()
        else:
            exp.fail(f"mlflow.end_run(status={status!r})")


def active_run() -> Optional[ActiveRun]:
    with _state.lock:
        while _state.stack and _state.stack[-1]._exp._run is None:  # ended another way (the SDK, the runner)
            _state.last = _state.stack.pop()
        return _state.stack[-1] if _state.stack else None


def last_active_run() -> Optional[Run]:
    active = active_run()
    if active is not None:
        return active
    return _get_run(_state.last._id) if _state.last is not None else None


_acting = threading.local()


@contextlib.contextmanager
def acting_on(exp: Experiment) -> Iterator[None]:
    """Within: every call acts on ``exp`` (the mirror of a real mlflow run) instead of the stand-in's active run."""
    previous = getattr(_acting, "exp", None)
    _acting.exp = exp
    try:
        yield
    finally:
        _acting.exp = previous


def _current() -> Experiment:
    """The active run, started as MLflow does when something is logged without one."""
    acting = getattr(_acting, "exp", None)
    if acting is not None:
        return acting
    active = active_run()
    if active is None:
        active = start_run()
    return active._exp


def _run_for(run_id: Optional[str]) -> Experiment:
    if run_id is None or getattr(_acting, "exp", None) is not None:
        return _current()
    exp = _state.opened.get(run_id)
    if exp is None or exp._run is None:
        raise MlflowException(f"run {run_id!r} is not open in this process: the mlflow stand-in logs only into runs "
                              "it started and that are still running", "INVALID_PARAMETER_VALUE")
    return exp


# -- fluent: data -----------------------------------------------------------------------------------

def log_param(key: str, value: Any, synchronous: Optional[bool] = None) -> Any:
    _runs.set_params(_current(), {key: value})
    return value


def log_params(params: Dict[str, Any], synchronous: Optional[bool] = None, run_id: Optional[str] = None) -> None:
    _runs.set_params(_run_for(run_id), params)


def log_metric(key: str, value: Any, step: Optional[int] = None, synchronous: Optional[bool] = None,
               timestamp: Optional[int] = None, run_id: Optional[str] = None, **_: Any) -> None:
    _log_metrics(_run_for(run_id), {key: value}, step, timestamp)


def log_metrics(metrics: Dict[str, Any], step: Optional[int] = None, synchronous: Optional[bool] = None,
                run_id: Optional[str] = None, timestamp: Optional[int] = None, **_: Any) -> None:
    _log_metrics(_run_for(run_id), metrics, step, timestamp)


def _log_metrics(exp: Experiment, metrics: Dict[str, Any], step: Optional[int], timestamp: Optional[int]) -> None:
    try:
        _runs.log_points(exp, metrics, step, None if timestamp is None else float(timestamp) / 1000)
    except (TypeError, ValueError) as e:
        raise MlflowException(str(e), "INVALID_PARAMETER_VALUE") from None


def set_tag(key: str, value: Any, synchronous: Optional[bool] = None) -> None:
    _set_tags(_current(), {key: value})


def set_tags(tags: Dict[str, Any], synchronous: Optional[bool] = None) -> None:
    _set_tags(_current(), tags)


def delete_tag(key: str) -> None:
    _runs.set_tags(_current(), {key: None})


def _set_tags(exp: Experiment, tags: Dict[str, Any]) -> None:
    tags = dict(tags)
    name = tags.pop("mlflow.runName", None)
    if name:
        _runs.rename(exp, str(name))  # MLflow's run name is this tag
    _runs.set_tags(exp, {k: "" if v is None else v for k, v in tags.items()})


def log_artifact(local_path: str, artifact_path: Optional[str] = None, run_id: Optional[str] = None) -> None:
    exp = _run_for(run_id)
    src = Path(local_path)
    if not src.is_file():
        raise MlflowException(f"log_artifact: not a file: {local_path}", "INVALID_PARAMETER_VALUE")
    _runs.save_file(exp, src, _join(artifact_path, src.name))


def log_artifacts(local_dir: str, artifact_path: Optional[str] = None, run_id: Optional[str] = None) -> None:
    exp = _run_for(run_id)
    root = Path(local_dir)
    if not root.is_dir():
        raise MlflowException(f"log_artifacts: not a directory: {local_dir}", "INVALID_PARAMETER_VALUE")
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        _runs.save_file(exp, f, _join(artifact_path, f.relative_to(root).as_posix()))


def log_dict(dictionary: Any, artifact_file: str, run_id: Optional[str] = None) -> None:
    exp = _run_for(run_id)
    if artifact_file.endswith((".yaml", ".yml")):
        try:
            import yaml

            _runs.save_text(exp, artifact_file, yaml.safe_dump(dictionary, sort_keys=False))
            return
        except ImportError:
            pass  # JSON is YAML too
    _runs.save_json(exp, artifact_file, dictionary)


def log_text(text: str, artifact_file: str, run_id: Optional[str] = None) -> None:
    _runs.save_text(_run_for(run_id), artifact_file, text)


def log_figure(figure: Any, artifact_file: str, *, save_kwargs: Optional[Dict[str, Any]] = None) -> None:
    exp = _current()
    if callable(getattr(figure, "savefig", None)):
        _runs.save_figure(exp, artifact_file, figure, **(save_kwargs or {}))
    elif callable(getattr(figure, "write_html", None)) and artifact_file.endswith(".html"):  # plotly
        _runs.save_text(exp, artifact_file, figure.to_html(**(save_kwargs or {})), tags=["figure"])
    else:
        raise MlflowException(f"log_figure({type(figure).__name__}, {artifact_file!r}): the mlflow stand-in saves "
                              "matplotlib figures, and plotly figures as .html", "INVALID_PARAMETER_VALUE")


def log_image(image: Any, artifact_file: Optional[str] = None, key: Optional[str] = None, step: Optional[int] = None,
              timestamp: Optional[int] = None, synchronous: Optional[bool] = None) -> None:
    exp = _current()
    if artifact_file is None:
        if key is None:
            raise MlflowException("log_image needs artifact_file or key", "INVALID_PARAMETER_VALUE")
        artifact_file = f"images/{key.replace('/', '#')}/step_{step or 0}.png"
    _runs.save_bytes(exp, artifact_file, image_png(image), tags=["image"], metadata={"step": step} if step is not None else None)


def log_table(data: Any, artifact_file: str, run_id: Optional[str] = None) -> None:
    exp = _run_for(run_id)
    table = dataframe_rows(data)
    if table is None and isinstance(data, dict):
        columns = [str(k) for k in data]
        values = [list(v) for v in data.values()]
        table = (columns, [list(r) for r in zip(*values)])
    if table is None:
        raise MlflowException("log_table takes a dict of columns or a pandas DataFrame", "INVALID_PARAMETER_VALUE")
    columns, rows = table
    _runs.save_json(exp, artifact_file, {"columns": columns, "data": rows})


def log_input(dataset: Any, context: Optional[str] = None, tags: Optional[Dict[str, str]] = None, model: Any = None) -> None:
    exp = _current()
    if not isinstance(dataset, Dataset):
        raise MlflowException("log_input takes a dataset from mlflow.data.from_pandas / from_numpy", "INVALID_PARAMETER_VALUE")
    info = {**dataset.to_dict(), "context": context, "tags": dict(tags or {})}
    _runs.save_json(exp, f"datasets/{dataset.name}-{dataset.digest}.json", info, tags=["dataset"],
                    description=f"dataset {dataset.name} ({context or 'input'})")


def _join(prefix: Optional[str], name: str) -> str:
    return f"{prefix.strip('/')}/{name}" if prefix and prefix.strip("/") else name


# -- fluent: experiments and settings -----------------------------------------------------------------

def set_experiment(experiment_name: Optional[str] = None, experiment_id: Optional[str] = None) -> MlflowExperiment:
    name = experiment_name or experiment_id
    if not name:
        raise MlflowException("set_experiment needs experiment_name or experiment_id", "INVALID_PARAMETER_VALUE")
    _state.experiment = str(name)
    return _experiment_entity(str(name))


def create_experiment(name: str, artifact_location: Optional[str] = None, tags: Optional[Dict[str, Any]] = None) -> str:
    if tags:
        _notes.unsupported("experiment-tags", "create_experiment(tags=...): experiment tags are not kept by the mlflow "
                           "stand-in (tag the runs instead)")
    _state.created_experiments[str(name)] = {}
    return str(name)


def get_experiment(experiment_id: str) -> Optional[MlflowExperiment]:
    return get_experiment_by_name(experiment_id)


def get_experiment_by_name(name: str) -> Optional[MlflowExperiment]:
    known = name in _state.created_experiments or name == _state.experiment or any(
        v.experiment == name for v in _store_reader.list_runs(resolve_store()))
    return _experiment_entity(name) if known else None


def search_experiments(*args: Any, **kwargs: Any) -> List[MlflowExperiment]:
    names = {v.experiment for v in _store_reader.list_runs(resolve_store())} | set(_state.created_experiments)
    return [_experiment_entity(n) for n in sorted(names)]


def set_experiment_tag(key: str, value: Any) -> None:
    _notes.unsupported("experiment-tags", "set_experiment_tag(s): experiment tags are not kept by the mlflow stand-in "
                       "(tag the runs instead)")


def set_experiment_tags(tags: Dict[str, Any]) -> None:
    set_experiment_tag("", "")


def _experiment_entity(name: str) -> MlflowExperiment:
    return MlflowExperiment(experiment_id=name, name=name, artifact_location=(resolve_store() / "runs").as_uri())


def set_tracking_uri(uri: Any) -> None:
    _notes.unsupported("tracking-uri", f"set_tracking_uri({str(uri)!r}) is not used by the mlflow stand-in: runs go to "
                       f"the workspace's store ({resolve_store()})")


def get_tracking_uri() -> str:
    return resolve_store().as_uri()


def is_tracking_uri_set() -> bool:
    return True


def set_registry_uri(uri: Any) -> None:
    _notes.unsupported("registry-uri", f"set_registry_uri({str(uri)!r}) is not used by the mlflow stand-in")


def get_registry_uri() -> str:
    return get_tracking_uri()


def get_artifact_uri(artifact_path: Optional[str] = None) -> str:
    d = _runs.files_dir(_current())
    assert d is not None
    return (d / artifact_path if artifact_path else d).as_uri()


def enable_system_metrics_logging() -> None:
    _notes.note("system-metrics", "mlflow system metrics: mlwb samples system/* metrics of every run (setting "
                "mlwb.systemMetricsInterval)")


def disable_system_metrics_logging() -> None:
    enable_system_metrics_logging()


def flush_async_logging() -> None:
    for exp in list(_state.opened.values()):
        exp.flush()


def autolog(log_input_examples: bool = False, log_model_signatures: bool = True, log_models: bool = True,
            log_datasets: bool = True, disable: bool = False, exclusive: bool = False,
            disable_for_unsupported_versions: bool = False, silent: bool = False, **kwargs: Any) -> None:
    sklearn_autolog(disable=disable)
    if not disable:
        _notes.unsupported("autolog:others", "mlflow.autolog(): scikit-learn fits are logged by mlwb's autolog; the mlflow "
                           "stand-in does not autolog other libraries (log their metrics with log_metric)")


def sklearn_autolog(disable: bool = False, **kwargs: Any) -> None:
    """``mlflow.sklearn.autolog()`` is mlwb's sklearn autolog (params, fit time, training score, the model)."""
    if disable:
        if _autolog.enabled():
            _autolog.uninstall()
            _notes.note("autolog:off", "mlflow.sklearn.autolog(disable=True): mlwb's scikit-learn autolog is off")
        return
    if not _autolog.enabled():
        _autolog.install()
        _ambient.add_finisher(lambda exp: _autolog.uninstall())
    _notes.note("autolog:sklearn", "mlflow.sklearn.autolog(): scikit-learn fits are logged by mlwb's autolog (params, "
                "fit time, training score, the fitted model as a run file); into the active MLflow run")


def flavor_autolog(flavor: str) -> Any:
    def autolog(*args: Any, disable: bool = False, **kwargs: Any) -> None:
        if not disable:
            _notes.unsupported(f"autolog:{flavor}", f"mlflow.{flavor}.autolog() is not supported by the mlflow stand-in: "
                               f"{flavor} training is not logged automatically (log its metrics with log_metric)")
    return autolog


# -- read side ------------------------------------------------------------------------------------------

def _flush_open() -> None:
    for exp in list(_state.opened.values()):
        if exp._run is not None:
            exp.flush()
    owner = _ambient.owner()
    if owner is not None:
        owner.flush()


def _view(run_id: str) -> _store_reader.RunView:
    _flush_open()
    view = _store_reader.read_run(resolve_store(), run_id)
    if view is None:
        raise MlflowException(f"Run '{run_id}' not found", "RESOURCE_DOES_NOT_EXIST")
    return view


def _get_run(run_id: str) -> Run:
    return to_run(_view(run_id))


def get_run(run_id: str) -> Run:
    return _get_run(run_id)


def get_parent_run(run_id: str) -> Optional[Run]:
    parent = _view(run_id).parent
    return _get_run(parent) if parent else None


def list_artifacts(run_id: str, path: Optional[str] = None) -> List[FileInfo]:
    """One level of the run's files under ``path``, as MLflow lists them (folders first-class)."""
    view = _view(run_id)
    base = (path or "").strip("/")
    out: Dict[str, FileInfo] = {}
    for f in _store_reader.iter_files(view):
        p = f["path"]
        if base and not p.startswith(base + "/"):
            continue
        rest = p[len(base) + 1:] if base else p
        head, sep, _ = rest.partition("/")
        key = f"{base}/{head}" if base else head
        out[key] = FileInfo(key, True, None) if sep else FileInfo(key, False, f.get("size"))
    return [out[k] for k in sorted(out)]


def download_artifacts(run_id: Optional[str] = None, path: str = "", dst_path: Optional[str] = None,
                       artifact_uri: Optional[str] = None, tracking_uri: Optional[str] = None) -> str:
    if artifact_uri is not None:
        from .mlflow_models import resolve_uri

        return copy_out(resolve_uri(artifact_uri), dst_path)
    if run_id is None:
        raise MlflowException("download_artifacts needs run_id or artifact_uri", "INVALID_PARAMETER_VALUE")
    src = _view(run_id).dir / "files" / path.strip("/") if path else _view(run_id).dir / "files"
    if not src.exists():
        raise MlflowException(f"no artifact {path!r} in run {run_id}", "RESOURCE_DOES_NOT_EXIST")
    return copy_out(src, dst_path)


def get_metric_history(run_id: str, key: str) -> List[Metric]:
    steps, values, times = _view(run_id).series.get(key, ([], [], []))
    return [Metric(key, v, int(round(t * 1000)), int(s)) for s, v, t in zip(steps, values, times)]


def _lookup(run: Run) -> run_filter.Lookup:
    def lookup(kind: str, key: str) -> Any:
        if kind == "metrics":
            return run.data.metrics.get(key)
        if kind == "params":
            return run.data.params.get(key)
        if kind == "tags":
            return run.data.tags.get(key)
        return {"status": run.info.status, "run_name": run.info.run_name, "run_id": run.info.run_id,
                "user_id": run.info.user_id, "artifact_uri": run.info.artifact_uri, "experiment_id": run.info.experiment_id,
                "start_time": run.info.start_time, "created": run.info.start_time,
                "end_time": run.info.end_time}.get(key)
    return lookup


def _search(experiment_ids: Optional[Iterable[str]], filter_string: str, run_view_type: int, max_results: int,
            order_by: Optional[Sequence[str]]) -> List[Run]:
    try:
        clauses = run_filter.parse(filter_string)
        order = run_filter.parse_order_by(order_by)
    except run_filter.FilterError as e:
        raise MlflowException(str(e), "INVALID_PARAMETER_VALUE") from None
    _flush_open()
    wanted = None if experiment_ids is None else {str(e) for e in experiment_ids}
    found = []
    for view in _store_reader.list_runs(resolve_store()):
        if wanted is not None and view.experiment not in wanted:
            continue
        if (run_view_type == ViewType.ACTIVE_ONLY and view.deleted) or (run_view_type == ViewType.DELETED_ONLY and not view.deleted):
            continue
        run = to_run(view)
        lookup = _lookup(run)
        if run_filter.matches(clauses, lookup):
            found.append((run, lookup))
    found.sort(key=lambda r: (r[0].info.start_time, r[0].info.run_id), reverse=True)  # newest first, MLflow's default
    for kind, key, desc in reversed(order):
        present = [r for r in found if r[1](kind, key) is not None]
        missing = [r for r in found if r[1](kind, key) is None]  # runs without the key go last either way
        present.sort(key=lambda r: _sortable(r[1](kind, key)), reverse=desc)
        found = present + missing
    return [r[0] for r in found[: max(0, int(max_results))]]


def _sortable(v: Any) -> Any:
    try:
        return (0, float(v), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(v))


def _default_experiments() -> List[str]:
    active = active_run()
    if _state.experiment:
        return [_state.experiment]
    if active is not None:
        return [active._exp._ref["id"]]
    return [_runs.runner_defaults()[0]]


def search_runs(experiment_ids: Optional[List[str]] = None, filter_string: str = "", run_view_type: int = ViewType.ACTIVE_ONLY,
                max_results: int = 100000, order_by: Optional[List[str]] = None, output_format: str = "pandas",
                search_all_experiments: bool = False, experiment_names: Optional[List[str]] = None) -> Any:
    """Runs as MLflow's columns: run_id, experiment_id, status, artifact_uri, start_time, end_time, metrics.*, params.*,
    tags.* (a pandas DataFrame, or a list of Run with ``output_format="list"``)."""
    ids: Optional[List[str]]
    if experiment_ids is not None or experiment_names is not None:
        ids = [str(e) for e in (experiment_ids or [])] + [str(n) for n in (experiment_names or [])]
    else:
        ids = None if search_all_experiments else _default_experiments()
    runs = _search(ids, filter_string, run_view_type, max_results, order_by)
    if output_format == "list":
        return runs
    if output_format != "pandas":
        raise MlflowException(f"output_format {output_format!r}: use 'pandas' or 'list'", "INVALID_PARAMETER_VALUE")
    try:
        import pandas as pd
    except ImportError:
        raise MlflowException("search_runs(output_format='pandas') needs pandas, which this Python cannot import") from None
    rows = []
    for r in runs:
        row: Dict[str, Any] = {"run_id": r.info.run_id, "experiment_id": r.info.experiment_id, "status": r.info.status,
                               "artifact_uri": r.info.artifact_uri,
                               "start_time": pd.to_datetime(r.info.start_time, unit="ms", utc=True),
                               "end_time": pd.to_datetime(r.info.end_time, unit="ms", utc=True) if r.info.end_time else pd.NaT}
        row.update({f"metrics.{k}": v for k, v in r.data.metrics.items()})
        row.update({f"params.{k}": v for k, v in r.data.params.items()})
        row.update({f"tags.{k}": v for k, v in r.data.tags.items()})
        rows.append(row)
    base = ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    extra = sorted({k for row in rows for k in row} - set(base), key=lambda k: ({"metrics": 0, "params": 1, "tags": 2}[k.split(".", 1)[0]], k))
    return pd.DataFrame(rows, columns=base + extra)


def register_model(model_uri: str, name: str, await_registration_for: int = 300, **kwargs: Any) -> Any:
    from .mlflow_models import not_registered

    not_registered(name, "mlflow.register_model")
    return _ModelVersion(name=name, source=str(model_uri))


class _ModelVersion:
    """What register_model returns; the stand-in never registers (``status`` says so)."""

    def __init__(self, name: str, source: str) -> None:
        self.name, self.source, self.version = name, source, None
        self.status = "FAILED_REGISTRATION"
        self.status_message = "not registered by the mlflow stand-in: use MLOps Workbench: Register Model from File…"
        self.run_id = source[len("runs:/"):].split("/", 1)[0] if source.startswith("runs:/") else None


# -- MlflowClient -------------------------------------------------------------------------------------

class MlflowClient:
    """The client API on the store: reads any run; writes into runs this process opened and that are still open."""

    def __init__(self, tracking_uri: Optional[str] = None, registry_uri: Optional[str] = None) -> None:
        if tracking_uri:
            set_tracking_uri(tracking_uri)
        self.tracking_uri = get_tracking_uri()

    def get_run(self, run_id: str) -> Run:
        return _get_run(run_id)

    def get_parent_run(self, run_id: str) -> Optional[Run]:
        return get_parent_run(run_id)

    def list_artifacts(self, run_id: str, path: Optional[str] = None) -> List[FileInfo]:
        return list_artifacts(run_id, path)

    def download_artifacts(self, run_id: str, path: str, dst_path: Optional[str] = None) -> str:
        return download_artifacts(run_id, path, dst_path)

    def get_metric_history(self, run_id: str, key: str) -> List[Metric]:
        return get_metric_history(run_id, key)

    def search_runs(self, experiment_ids: Sequence[str], filter_string: str = "", run_view_type: int = ViewType.ACTIVE_ONLY,
                    max_results: int = 1000, order_by: Optional[List[str]] = None, page_token: Optional[str] = None) -> List[Run]:
        if isinstance(experiment_ids, str):
            experiment_ids = [experiment_ids]
        return _PagedList(_search(list(experiment_ids), filter_string, run_view_type, max_results, order_by))

    def get_experiment(self, experiment_id: str) -> Optional[MlflowExperiment]:
        return get_experiment(experiment_id)

    def get_experiment_by_name(self, name: str) -> Optional[MlflowExperiment]:
        return get_experiment_by_name(name)

    def search_experiments(self, *args: Any, **kwargs: Any) -> List[MlflowExperiment]:
        return search_experiments()

    def create_experiment(self, name: str, artifact_location: Optional[str] = None, tags: Optional[Dict[str, Any]] = None) -> str:
        return create_experiment(name, artifact_location, tags)

    def create_run(self, experiment_id: str, start_time: Optional[int] = None, tags: Optional[Dict[str, Any]] = None,
                   run_name: Optional[str] = None) -> Run:
        tags = dict(tags or {})
        parent = tags.pop("mlflow.parentRunId", None)
        exp = _runs.open_nested(experiment_id, run_name, parent) if parent else _runs.open_run(experiment_id, run_name)
        _runs.set_tags(exp, tags)
        _state.opened[str(exp.id)] = exp
        return _get_run(str(exp.id))

    def set_terminated(self, run_id: str, status: Optional[str] = None, end_time: Optional[int] = None) -> None:
        exp = _run_for(run_id)
        for active in [a for a in _state.stack if a._id == run_id]:
            _state.stack.remove(active)
            _ambient.pop_target(exp)
        _end(ActiveRun(exp), exc=None, status=status or RunStatus.FINISHED)

    def log_param(self, run_id: str, key: str, value: Any, synchronous: Optional[bool] = None) -> Any:
        _runs.set_params(_run_for(run_id), {key: value})
        return value

    def log_metric(self, run_id: str, key: str, value: Any, timestamp: Optional[int] = None, step: Optional[int] = None,
                   synchronous: Optional[bool] = None, **_: Any) -> None:
        _log_metrics(_run_for(run_id), {key: value}, step, timestamp)

    def log_batch(self, run_id: str, metrics: Sequence[Metric] = (), params: Sequence[Any] = (), tags: Sequence[Any] = (),
                  synchronous: Optional[bool] = None) -> None:
        exp = _run_for(run_id)
        _runs.set_params(exp, {p.key: p.value for p in params})
        for m in metrics:
            _log_metrics(exp, {m.key: m.value}, m.step, m.timestamp)
        _set_tags(exp, {t.key: t.value for t in tags})

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: Optional[bool] = None) -> None:
        _set_tags(_run_for(run_id), {key: value})

    def delete_tag(self, run_id: str, key: str) -> None:
        _runs.set_tags(_run_for(run_id), {key: None})

    def log_artifact(self, run_id: str, local_path: str, artifact_path: Optional[str] = None) -> None:
        log_artifact(local_path, artifact_path, run_id=run_id)

    def log_artifacts(self, run_id: str, local_dir: str, artifact_path: Optional[str] = None) -> None:
        log_artifacts(local_dir, artifact_path, run_id=run_id)

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        log_dict(dictionary, artifact_file, run_id=run_id)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        log_text(text, artifact_file, run_id=run_id)

    def log_table(self, run_id: str, data: Any, artifact_file: str) -> None:
        log_table(data, artifact_file, run_id=run_id)

    def __getattr__(self, name: str) -> Any:
        # The model registry and the rest of the client's surface: a clear error, never a silent no-op.
        if name.startswith("__"):
            raise AttributeError(name)
        raise NotProvided(f"MlflowClient.{name} is not provided by the mlflow stand-in (mlwb): the model registry "
                              "is MLOps Workbench's Models view; runs are read and written with get_run, search_runs, "
                              "log_metric, log_param, set_tag and log_artifact")


class NotProvided(MlflowException, AttributeError):
    """A part of MLflow's API the stand-in does not provide (an AttributeError too, so ``hasattr`` says False)."""


class _PagedList(list):
    token: Optional[str] = None


