"""Real ``mlflow``, ``wandb`` and TensorBoard writers, left in charge, mirrored into the run.

Patched when the script imports them (``_import_hook.PatchOnImport``: nothing is imported that the script did not
import). Each wrapper calls the library first and returns what it returns; then the same call is recorded into the
run through the stand-in's adapter (``mlflow_api``, ``wandb_api.Recorder``, ``tensorboard_api.Recording``). A
library call made inside another one (torch's ``add_hparams`` writing scalars, mlflow's ``log_metric`` starting a
run) passes straight through. A call that cannot be mirrored says so once; the library's own result is untouched.
"""
from __future__ import annotations

import contextlib
import functools
import sys
import threading
from typing import Any, Callable, Dict, Iterator, Optional

from .. import _ambient
from .._import_hook import PatchOnImport, replace
from . import _notes, _runs

_guard = threading.local()
_enabled = False
_hook: Optional[PatchOnImport] = None


def _inside() -> bool:
    return getattr(_guard, "depth", 0) > 0


@contextlib.contextmanager
def _entered() -> Iterator[None]:
    _guard.depth = getattr(_guard, "depth", 0) + 1
    try:
        yield
    finally:
        _guard.depth -= 1


def _failed(library: str, name: str, e: BaseException) -> None:
    _notes.unsupported(f"mirror:{library}:{name}", f"could not mirror {library} {name} into the run: {e!r} ({library} "
                       "itself was not affected)")


def _is_standin(module: Any) -> bool:
    top = sys.modules.get(module.__name__.split(".")[0])
    return bool(getattr(module, "__mlwb_standin__", False) or getattr(top, "__mlwb_standin__", False))


def _mirrored(library: str, name: str, original: Callable[..., Any], after: Callable[..., None],
              before: Optional[Callable[[], Any]] = None) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _enabled or _inside():
            return original(*args, **kwargs)
        with _entered():
            state = before() if before is not None else None
            result = original(*args, **kwargs)
            try:
                after(result, state, args, kwargs)
            except Exception as e:
                _failed(library, name, e)
            return result

    wrapper._mlwb_mirror = True  # type: ignore[attr-defined]
    return wrapper


# -- mlflow -----------------------------------------------------------------------------------------

MLFLOW_CALLS = ("log_param", "log_params", "log_metric", "log_metrics", "set_tag", "set_tags", "delete_tag", "log_artifact",
                "log_artifacts", "log_dict", "log_text", "log_figure", "log_image", "log_table", "log_input")
_by_real: Dict[str, Any] = {}  # real mlflow run id -> the mlwb run that mirrors it


def _mlflow_exp(mlflow: Any) -> Any:
    """The mlwb run of mlflow's active run (a run mlflow started on its own gets one, nested as it is)."""
    active = mlflow.active_run()
    if active is None:
        return None
    real_id = active.info.run_id
    exp = _by_real.get(real_id)
    if exp is None or exp._run is None:
        exp = _open_mirror(mlflow, active, None)
    return exp


def _open_mirror(mlflow: Any, active: Any, parent_real: Optional[str]) -> Any:
    info = active.info
    experiment = None
    try:
        experiment = mlflow.get_experiment(info.experiment_id).name
    except Exception:
        pass
    parent = _by_real.get(parent_real) if parent_real else None
    name = getattr(info, "run_name", None)
    if parent is not None and parent.id:
        exp = _runs.open_nested(experiment or parent._ref["id"], name, str(parent.id))
    else:
        exp = _runs.open_run(experiment, name)
    _runs.set_tags(exp, {"mlflow.run_id": info.run_id})
    _by_real[info.run_id] = exp
    _ambient.push_target(exp)
    return exp


def _patch_mlflow(mlflow: Any) -> None:
    if _is_standin(mlflow):
        return
    from . import mlflow_api

    fluent = sys.modules.get("mlflow.tracking.fluent")
    modules = [m for m in (mlflow, fluent) if m is not None]
    done: Dict[int, Callable[..., Any]] = {}

    def patch(name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
        for m in modules:
            original = getattr(m, name, None)
            if callable(original) and not getattr(original, "_mlwb_mirror", False):
                if id(original) not in done:
                    done[id(original)] = make(original)
                setattr(m, name, done[id(original)])

    def active_id() -> Optional[str]:
        active = mlflow.active_run()
        return active.info.run_id if active is not None else None

    def after_start(result: Any, before: Optional[str], args: tuple, kwargs: Dict[str, Any]) -> None:
        nested = kwargs.get("nested", args[3] if len(args) > 3 else False)
        parent = kwargs.get("parent_run_id") or (before if nested else None)
        exp = _open_mirror(mlflow, result, parent)
        tags = dict(kwargs.get("tags") or {})
        if kwargs.get("description"):
            tags["mlflow.note.content"] = kwargs["description"]
        _runs.set_tags(exp, tags)

    def after_end(result: Any, before: Optional[str], args: tuple, kwargs: Dict[str, Any]) -> None:
        exp = _by_real.pop(before, None) if before else None
        if exp is None or exp._run is None:
            return
        _ambient.pop_target(exp)
        status = str(kwargs.get("status", args[0] if args else "FINISHED")).upper()
        if status == "FAILED":
            exp.fail("mlflow.end_run(status='FAILED')")
        elif status == "KILLED":
            exp.cancel()
        else:
            exp.complete()

    patch("start_run", lambda o: _mirrored("mlflow", "start_run", o, after_start, active_id))
    patch("end_run", lambda o: _mirrored("mlflow", "end_run", o, after_end, active_id))

    for call in MLFLOW_CALLS:
        ours = getattr(mlflow_api, call)

        def after(result: Any, state: Any, args: tuple, kwargs: Dict[str, Any], ours: Callable[..., Any] = ours) -> None:
            exp = _mlflow_exp(mlflow)
            if exp is not None:
                with mlflow_api.acting_on(exp):
                    ours(*args, **{k: v for k, v in kwargs.items() if k not in ("synchronous", "run_id")})

        patch(call, lambda o, call=call, after=after: _mirrored("mlflow", call, o, after))
    _notes.note("mirror:mlflow", "mlflow is installed: it stays in charge, and its runs, params, metrics, tags, artifacts "
                "and sklearn models are mirrored into this workspace's runs")


def _patch_mlflow_sklearn(module: Any) -> None:
    if _is_standin(module):
        return
    import mlflow  # the script has imported it: mlflow.sklearn is a part of it

    from . import mlflow_api, mlflow_flavors

    original = getattr(module, "log_model", None)
    if not callable(original) or getattr(original, "_mlwb_mirror", False):
        return

    def after(result: Any, state: Any, args: tuple, kwargs: Dict[str, Any]) -> None:
        exp = _mlflow_exp(mlflow)
        if exp is None:
            return
        kw = {k: kwargs[k] for k in ("artifact_path", "name", "signature", "input_example", "metadata") if k in kwargs}
        model = args[0] if args else kwargs.get("sk_model")
        if len(args) > 1 and "artifact_path" not in kw:
            kw["artifact_path"] = args[1]
        with mlflow_api.acting_on(exp):
            mlflow_flavors.sklearn_log_model(model, **kw)

    module.log_model = _mirrored("mlflow", "sklearn.log_model", original, after)


# -- wandb ------------------------------------------------------------------------------------------

def _patch_wandb(wandb: Any) -> None:
    if _is_standin(wandb):
        return
    original = getattr(wandb, "init", None)
    if not callable(original) or getattr(original, "_mlwb_mirror", False):
        return

    def after(run: Any, state: Any, args: tuple, kwargs: Dict[str, Any]) -> None:
        if run is None or getattr(run, "disabled", False):
            return
        _mirror_wandb_run(wandb, run, kwargs)

    wandb.init = _mirrored("wandb", "init", original, after)
    _notes.note("mirror:wandb", "wandb is installed: it stays in charge, and what its runs log (config, metrics, media, "
                "summary) is mirrored into this workspace's runs")


def _mirror_wandb_run(wandb: Any, run: Any, kwargs: Dict[str, Any]) -> None:
    from .wandb_api import Recorder

    exp = _runs.open_run(getattr(run, "project", None) or kwargs.get("project"), getattr(run, "name", None) or kwargs.get("name"),
                         labels=[str(t) for t in (getattr(run, "tags", None) or ())])
    _runs.set_tags(exp, {k: v for k, v in (("group", kwargs.get("group")), ("job_type", kwargs.get("job_type")),
                                            ("wandb.run_id", getattr(run, "id", None))) if v})
    rec = Recorder(exp)
    seen: Dict[str, Any] = {}

    def sync_config() -> None:
        try:
            current = dict(run.config)
        except Exception:
            return
        if current != seen:
            seen.clear()
            seen.update(current)
            rec.params(current)

    sync_config()
    log, finish, define = run.log, run.finish, getattr(run, "define_metric", None)

    def mirrored_log(data: Any, step: Any = None, commit: Any = None, *args: Any, **kw: Any) -> Any:
        result = log(data, step=step, commit=commit, *args, **kw)
        if _enabled:
            try:
                sync_config()
                rec.log(data, step, commit)
            except Exception as e:
                _failed("wandb", "log", e)
        return result

    finished = []

    def mirrored_finish(*args: Any, **kw: Any) -> Any:
        if finished:  # again, or from the run's own end (the finisher below): the library alone
            return finish(*args, **kw)
        finished.append(True)
        exit_code = kw.get("exit_code", args[0] if args else None)
        if exp._run is not None:
            try:
                sync_config()
                rec.finish(dict(getattr(run, "summary", {}) or {}))
            except Exception as e:
                _failed("wandb", "finish", e)
        result = finish(*args, **kw)
        if exp._run is not None:
            if exit_code:
                exp._finish("failed", error=f"wandb finish(exit_code={exit_code})", exit_code=int(exit_code))
            else:
                exp.complete()
        return result

    def mirrored_define(name: str, step_metric: Any = None, *args: Any, **kw: Any) -> Any:
        rec.define_metric(name, step_metric)
        return define(name, step_metric, *args, **kw) if define is not None else None

    run.log, run.finish = mirrored_log, mirrored_finish
    if define is not None:
        run.define_metric = mirrored_define
        if getattr(wandb, "define_metric", None) is define:
            wandb.define_metric = mirrored_define
    if getattr(wandb, "log", None) is log or getattr(wandb, "log", None) == log:
        wandb.log = mirrored_log
    # The script's run ends without wandb.finish(): the summary and saved files are still kept (wandb finishes its own
    # run at exit).
    _ambient.add_finisher(lambda holder: _finish_mirror(rec, run, finished) if exp is holder else None)


def _finish_mirror(rec: Any, run: Any, finished: list) -> None:
    if not finished:
        finished.append(True)
        rec.finish(dict(getattr(run, "summary", {}) or {}))


# -- TensorBoard writers --------------------------------------------------------------------------------

def _patch_tensorboard(module: Any) -> None:
    cls = getattr(module, "SummaryWriter", None)
    if cls is None or _is_standin(module) or getattr(cls, "_mlwb_standin", False) or cls.__dict__.get("_mlwb_mirrored"):
        return
    from .tensorboard_api import RECORDED, UNSUPPORTED, Recording

    library = module.__name__.rsplit(".", 1)[0]
    for name in RECORDED:
        original = getattr(cls, name, None)
        if callable(original):
            setattr(cls, name, _recorded_method(library, name, original, getattr(Recording, name)))
    for name in UNSUPPORTED:
        original = getattr(cls, name, None)
        if callable(original):
            setattr(cls, name, _noted_method(library, name, original))
    cls._mlwb_mirrored = True
    _notes.note(f"mirror:{library}", f"{library} is installed: its SummaryWriter stays in charge, and its scalars, hparams, "
                "text, figures, images and histogram summaries are mirrored into this run")


def _recorded_method(library: str, name: str, original: Callable[..., Any], record: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not _enabled or _inside():
            return original(self, *args, **kwargs)
        with _entered():
            try:
                record(self, *args, **kwargs)  # first: add_figure closes the figure
            except Exception as e:
                _failed(library, name, e)
            return original(self, *args, **kwargs)
    return method


def _noted_method(library: str, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _enabled and not _inside():
            _notes.note(f"mirror:{library}:{name}", f"{library} {name} is kept by TensorBoard only: not mirrored into the run")
        return original(self, *args, **kwargs)
    return method


HOOKS = {"mlflow": _patch_mlflow, "mlflow.sklearn": _patch_mlflow_sklearn, "wandb": _patch_wandb,
         "torch.utils.tensorboard.writer": _patch_tensorboard, "tensorboardX.writer": _patch_tensorboard}


def install() -> None:
    global _hook, _enabled
    _enabled = True
    _hook = replace(_hook, PatchOnImport(HOOKS, lambda name, e: _failed(name, "import", e)))


def uninstall() -> None:
    global _enabled
    _enabled = False
    if _hook is not None:
        _hook.remove()
    _by_real.clear()
