"""``python -m mlwb tune``: tune from a spec file (JSON, or YAML when PyYAML is installed), tracked as a run.

    python -m mlwb tune --spec tune.json                      # the spec's built-in model, or its script
    python -m mlwb tune --spec tune.yaml --script train.py    # the script's objective, the spec's space
    python -m mlwb tune --script train.py --n-trials 30       # the script's @tune.objective (its own defaults)

Options override the spec: --n-trials N, --timeout S, --sampler S, --n-jobs N, --seed N, --study-name NAME,
--experiment NAME, --name RUN_NAME, --autolog (log scikit-learn fits too: off by default while tuning).

Several workers on one study (a Slurm array): ``--storage study.optuna-journal --worker`` in each. They share
an Optuna JournalFileStorage (the study is loaded if it exists; --n-trials counts each worker's own trials)
and all their trials form ONE tuning session, whichever run each worker writes into. ``--run-id ID``
continues a run created ahead of the process, as ``python -m mlwb run --run-id`` does.

Train with given params (VS Code's "Train with Best Params"): ``--params '{"max_depth": 7}'`` (JSON) runs no
search. A script's objective is called once with a fixed trial (``suggest_*`` return the given values;
scikit-learn fits are autologged, so the fitted model is saved as a run file); a built-in model is fitted
on the whole dataset and saved as ``model.pkl``. The params and the objective's value(s) (``tuned/value``;
a built-in model's ``tuned/cv_score``) are logged; ``--from SESSION#TRIAL`` is recorded as the params
``tuned.session`` and ``tuned.trial``.

The spec (JSON Schema: media/schemas/tune-spec.schema.json)::

    {
      "study_name": "rf-breast-cancer",
      "direction": "maximize",                  # or "directions": ["minimize", "maximize"]
      "sampler": "tpe", "seed": 0,              # auto | tpe | random | grid | cmaes | nsga2
      "n_trials": 30, "timeout": 600, "n_jobs": 2,
      "pruner": "median",                       # or {"type": "median", "n_startup_trials": 5, "n_warmup_steps": 0}
      "space": {
        "n_estimators": {"type": "int", "low": 50, "high": 300, "step": 50},
        "max_depth": {"type": "int", "low": 2, "high": 16, "log": true},
        "max_features": {"type": "categorical", "choices": ["sqrt", "log2"]}
      },
      # either a script (relative to the spec) and the objective's name in it ...
      "script": "train.py", "objective": "objective",
      # ... or a built-in scikit-learn objective: mean cross-validated score
      "model": {
        "estimator": "sklearn.ensemble.RandomForestClassifier",
        "params": {"random_state": 0},          # fixed parameters
        "dataset": "breast_cancer",             # iris | breast_cancer | wine | digits | diabetes, or {"csv": "data.csv", "target": "label"}
        "cv": 5, "scoring": "accuracy"
      }
    }

A script's objective is found by name (``objective`` in the spec, default ``objective``), else the function
marked ``@tune.objective``. It gets the trial, and the spec as a second argument if it takes two. The script
is loaded as a module (its ``if __name__ == "__main__":`` block does not run).
"""
from __future__ import annotations

import importlib
import inspect
import json
import os
import runpy
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

SPEC_KEYS = {"$schema", "study_name", "direction", "directions", "metric_names", "sampler", "seed", "n_trials", "timeout",
             "n_jobs", "pruner", "space", "script", "objective", "model", "experiment", "run_name", "cv", "scoring",
             "description"}
MODEL_KEYS = {"estimator", "params", "dataset", "cv", "scoring", "shuffle", "seed"}
DATASETS = ("iris", "breast_cancer", "wine", "digits", "diabetes")

USAGE = """\
usage: python -m mlwb tune [--spec SPEC.json|.yaml] [--script train.py] [--n-trials N] [--timeout S]
                           [--sampler auto|tpe|random|grid|cmaes|nsga2] [--n-jobs N] [--seed N]
                           [--study-name NAME] [--experiment NAME] [--name RUN_NAME] [--autolog]
                           [--params JSON [--from SESSION#TRIAL]] [--storage PATH [--worker]] [--run-id ID]
"""


class SpecError(ValueError):
    """The spec file (or the options) cannot be used: the message says where and why."""


def load_spec(path: str) -> Dict[str, Any]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise SpecError(f"cannot read the spec {path}: {e.strerror or e}") from e
    if p.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml  # type: ignore[import-untyped]
        except ImportError as e:
            raise SpecError("a YAML spec needs PyYAML (pip install pyyaml, or apt install python3-yaml); "
                            "or write the spec as JSON") from e
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise SpecError(f"{path}: invalid YAML: {e}") from e
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise SpecError(f"{path}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}") from e
    if not isinstance(data, dict):
        raise SpecError(f"{path}: the spec must be an object")
    validate_spec(data)
    data["_dir"] = str(p.resolve().parent)
    data["_path"] = str(p.resolve())
    return data


def validate_spec(spec: Dict[str, Any]) -> None:
    """What the JSON Schema says, checked here too (the runner may run without the editor)."""
    from ._tune_space import parse_pruner, parse_space

    unknown = sorted(set(spec) - SPEC_KEYS)
    if unknown:
        raise SpecError(f"unknown spec key(s): {', '.join(unknown)}")
    for key in ("n_trials", "n_jobs", "seed"):
        v = spec.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or (v < 1 and key != "seed")):
            raise SpecError(f"{key} must be a positive integer, got {v!r}")
    t = spec.get("timeout")
    if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float)) or t <= 0):
        raise SpecError(f"timeout must be a positive number of seconds, got {t!r}")
    if "direction" in spec and "directions" in spec:
        raise SpecError("give direction or directions, not both")
    for d in ([spec["direction"]] if "direction" in spec else spec.get("directions", [])):
        if d not in ("minimize", "maximize"):
            raise SpecError(f"direction must be 'minimize' or 'maximize', got {d!r}")
    try:
        parse_space(spec.get("space"))
        parse_pruner(spec.get("pruner", "median"))
    except ValueError as e:
        raise SpecError(str(e)) from e
    model = spec.get("model")
    if model is not None:
        if not isinstance(model, dict) or not isinstance(model.get("estimator"), str):
            raise SpecError("model needs an 'estimator' (e.g. 'sklearn.ensemble.RandomForestClassifier')")
        unknown = sorted(set(model) - MODEL_KEYS)
        if unknown:
            raise SpecError(f"unknown model key(s): {', '.join(unknown)}")
        if "dataset" not in model:
            raise SpecError("model needs a 'dataset': one of " + ", ".join(DATASETS) + ", or {\"csv\": ..., \"target\": ...}")
        if model.get("script") is not None or spec.get("script") is not None:
            raise SpecError("give a script or a model, not both")


# -- the built-in scikit-learn objective ------------------------------------------------------------------

def load_dataset(dataset: Any, base: str) -> Any:
    """(X, y) from a bundled scikit-learn dataset or a CSV file (numeric columns; others one-hot with pandas)."""
    if isinstance(dataset, str) and not dataset.lower().endswith(".csv"):
        dataset = {"sklearn": dataset}
    elif isinstance(dataset, str):
        raise SpecError("a CSV dataset needs its target column: {\"csv\": \"data.csv\", \"target\": \"label\"}")
    if not isinstance(dataset, dict):
        raise SpecError(f"dataset must be a name or an object, got {dataset!r}")
    if "sklearn" in dataset:
        name = str(dataset["sklearn"])
        if name not in DATASETS:
            raise SpecError(f"unknown scikit-learn dataset {name!r}: one of {', '.join(DATASETS)}")
        import sklearn.datasets as ds

        return getattr(ds, f"load_{name}")(return_X_y=True)
    path = dataset.get("csv")
    target = dataset.get("target")
    if not isinstance(path, str) or not isinstance(target, str):
        raise SpecError("a CSV dataset is {\"csv\": \"path.csv\", \"target\": \"column\"}")
    full = path if os.path.isabs(path) else os.path.join(base, path)
    try:
        import pandas as pd
    except ImportError:
        pd = None
    if pd is not None:
        df = pd.read_csv(full)
        if target not in df.columns:
            raise SpecError(f"{path}: no column {target!r} (columns: {', '.join(map(str, df.columns))})")
        y = df[target].to_numpy()
        X = pd.get_dummies(df.drop(columns=[target]), dtype=float).to_numpy(dtype=float)
        return X, y
    import csv

    with open(full, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows or target not in rows[0]:
        raise SpecError(f"{path}: no column {target!r}")
    cols = [c for c in rows[0] if c != target]
    try:
        X = [[float(r[c]) for c in cols] for r in rows]
    except ValueError as e:
        raise SpecError(f"{path}: non-numeric feature values need pandas ({e})") from e
    return X, [r[target] for r in rows]


def model_objective(spec: Dict[str, Any]) -> Callable[[Any], float]:
    """Mean cross-validated score of the estimator with the trial's parameters (plus the fixed ones)."""
    model = spec["model"]
    module_name, _, cls_name = model["estimator"].rpartition(".")
    if not module_name:
        raise SpecError(f"estimator must be a dotted path such as sklearn.svm.SVC, got {model['estimator']!r}")
    try:
        cls = getattr(importlib.import_module(module_name), cls_name)
    except (ImportError, AttributeError) as e:
        raise SpecError(f"cannot import the estimator {model['estimator']}: {e}") from e
    X, y = load_dataset(model["dataset"], spec.get("_dir", os.getcwd()))
    fixed = dict(model.get("params") or {})
    cv_n = int(model.get("cv", spec.get("cv", 5)))
    scoring = model.get("scoring", spec.get("scoring"))
    from sklearn.base import is_classifier
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

    splitter_cls = StratifiedKFold if is_classifier(cls()) else KFold
    cv = splitter_cls(n_splits=cv_n, shuffle=bool(model.get("shuffle", True)), random_state=model.get("seed", 0))

    def objective(trial: Any) -> float:
        est = cls(**{**fixed, **trial.params})
        scores = cross_val_score(est, X, y, cv=cv, scoring=scoring)
        trial.set_user_attr("cv_scores", [float(s) for s in scores])
        return float(scores.mean())

    objective.__name__ = cls_name
    return objective


# -- a script's objective ---------------------------------------------------------------------------------

def script_objective(script: str, name: Optional[str], spec: Dict[str, Any]) -> Callable[[Any], Any]:
    from . import tune

    before = len(tune._registered)
    if script.lower().endswith(".ipynb"):  # a notebook's code cells, run as one module
        from ._notebook import NotebookError, code_of

        try:
            code = compile(code_of(script), script, "exec")
        except (NotebookError, SyntaxError) as e:
            raise SpecError(f"{script}: {e}") from None
        namespace: Dict[str, Any] = {"__name__": "__mlwb_tune__", "__file__": script}
        exec(code, namespace)
    else:
        namespace = runpy.run_path(script, run_name="__mlwb_tune__")
    fn = None
    if name:
        fn = namespace.get(name)
        if not callable(fn):
            raise SpecError(f"{script} has no function {name!r}")
    else:
        marked = tune._registered[before:]
        fn = marked[-1] if marked else namespace.get("objective")
        if not callable(fn):
            raise SpecError(f"{script} has no objective: define `def objective(trial): ...` or mark one with @tune.objective")
    params = [p for p in inspect.signature(fn).parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(params) >= 2:
        public = {k: v for k, v in spec.items() if not k.startswith("_")}
        f = fn
        def with_spec(trial: Any) -> Any:
            return f(trial, public)
        with_spec.__name__ = getattr(fn, "__name__", "objective")
        with_spec._mlwb_tune = getattr(fn, "_mlwb_tune", {})  # type: ignore[attr-defined]
        return with_spec
    return fn


# -- the command ------------------------------------------------------------------------------------------

def parse_args(argv: List[str]) -> Dict[str, Any]:
    opts: Dict[str, Any] = {"autolog": False}
    names = {"--spec": "spec", "--script": "script", "--n-trials": "n_trials", "--timeout": "timeout", "--sampler": "sampler",
             "--n-jobs": "n_jobs", "--seed": "seed", "--study-name": "study_name", "--experiment": "experiment",
             "--name": "run_name", "--params": "params", "--from": "from", "--storage": "storage", "--run-id": "run_id"}
    i = 0
    while i < len(argv):
        arg = argv[i]
        key, eq, value = arg.partition("=")
        if arg in ("-h", "--help"):
            sys.stdout.write(USAGE)
            raise SystemExit(0)
        if arg == "--autolog":
            opts["autolog"] = True
        elif arg == "--worker":
            opts["worker"] = True
        elif key in names:
            if not eq:
                i += 1
                if i >= len(argv):
                    raise SpecError(f"{key} needs a value")
                value = argv[i]
            opts[names[key]] = value
        else:
            raise SpecError(f"unknown option {arg!r}")
        i += 1
    for key, conv in (("n_trials", int), ("n_jobs", int), ("seed", int), ("timeout", float)):
        if key in opts:
            try:
                opts[key] = conv(opts[key])
            except ValueError as e:
                raise SpecError(f"--{key.replace('_', '-')} must be a number, got {opts[key]!r}") from e
    if "spec" not in opts and "script" not in opts:
        raise SpecError("give --spec SPEC.json (or --script train.py with an @tune.objective)")
    if "params" in opts:
        try:
            opts["params"] = json.loads(opts["params"])
        except json.JSONDecodeError as e:
            raise SpecError(f"--params must be a JSON object: {e.msg}") from e
        if not isinstance(opts["params"], dict):
            raise SpecError("--params must be a JSON object of parameter values")
    elif "from" in opts:
        raise SpecError("--from goes with --params")
    if opts.get("worker") and "storage" not in opts:
        raise SpecError("--worker needs --storage (the Optuna journal file the workers share)")
    if "storage" in opts and "params" in opts:
        raise SpecError("--storage is for tuning; --params trains once without a study")
    for key in ("storage", "run_id"):
        if key in opts and not str(opts[key]).strip():
            raise SpecError(f"--{key.replace('_', '-')} must not be empty")
    return opts


# -- training once with given params ----------------------------------------------------------------------

class FixedTrial:
    """A trial whose ``suggest_*`` return given values (a parameter it was not given is an error)."""

    def __init__(self, params: Dict[str, Any], exp: Any) -> None:
        self.number = 0
        self.params: Dict[str, Any] = dict(params)
        self.user_attrs: Dict[str, Any] = {}
        self._exp = exp

    def _get(self, name: str) -> Any:
        if name not in self.params:
            raise SpecError(f"no value for the parameter {name!r} (given: {', '.join(self.params) or 'none'})")
        return self.params[name]

    def suggest_float(self, name: str, low: float, high: float, *, step: Optional[float] = None, log: bool = False) -> float:
        return float(self._get(name))

    def suggest_int(self, name: str, low: int, high: int, step: int = 1, log: bool = False) -> int:
        return int(self._get(name))

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        return self._get(name)

    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        return float(self._get(name))

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        return float(self._get(name))

    def report(self, value: float, step: int) -> None:
        if self._exp is not None:
            self._exp.metrics("tuned").log(step=int(step), intermediate=float(value))

    def should_prune(self) -> bool:
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        self.user_attrs[key] = value


def train_with_params(spec: Dict[str, Any], script: Optional[str], params: Dict[str, Any], source: Optional[str]) -> None:
    """Trains once with ``params`` inside the runner's run (see the module's docstring)."""
    from . import _ambient

    exp = _ambient.owner()
    if exp is not None:
        exp.params.set(**params)
        if source:
            session, _, trial = source.partition("#")
            exp.params.set(**{"tuned.session": session, **({"tuned.trial": int(trial)} if trial.isdigit() else {})})
    if script:
        objective = script_objective(script, spec.get("objective"), spec)
        result = objective(FixedTrial(params, exp))
        values = list(result) if isinstance(result, (list, tuple)) else [result]
        names = spec.get("metric_names") or (["value"] if len(values) == 1 else [f"value_{i}" for i in range(len(values))])
        if exp is not None:
            exp.metrics("tuned").log(step=0, **{str(n): float(v) for n, v in zip(names, values)})
        print(f"mlwb tune: trained with {json.dumps(params, default=str)}: {', '.join(f'{n}={float(v):.6g}' for n, v in zip(names, values))}")
        return
    model = spec["model"]
    module_name, _, cls_name = model["estimator"].rpartition(".")
    cls = getattr(importlib.import_module(module_name), cls_name)
    X, y = load_dataset(model["dataset"], spec.get("_dir", os.getcwd()))
    est = cls(**{**dict(model.get("params") or {}), **params})
    score = model_objective(spec)(FixedTrial(params, None))
    est.fit(X, y)
    if exp is not None:
        exp.metrics("tuned").log(step=0, cv_score=score)
        exp.files().save_pkl(est, to="model.pkl", description=f"{model['estimator']} fitted on the whole dataset with the tuned params")
    print(f"mlwb tune: trained {model['estimator']} with {json.dumps(params, default=str)}: cv score {score:.6g}; saved model.pkl")


def main(argv: List[str]) -> int:
    from . import _runner

    try:
        opts = parse_args(argv)
        spec = load_spec(opts["spec"]) if "spec" in opts else {"_dir": os.getcwd()}
        script = opts.get("script") or (os.path.join(spec["_dir"], spec["script"]) if spec.get("script") else None)
        if script and spec.get("model"):
            raise SpecError("give a script or a model, not both")
        if not script and not spec.get("model"):
            raise SpecError("the spec needs a 'script' (with an objective) or a 'model' (built-in scikit-learn objective)")
        if script and not os.path.isfile(script):
            raise SpecError(f"no such script: {script}")
    except SpecError as e:
        sys.stderr.write(f"mlwb tune: {e}\n\n{USAGE}")
        return 2
    target = os.path.abspath(script or spec["_path"])
    study = opts.get("study_name") or spec.get("study_name") or Path(target).stem
    # A continued run keeps the experiment it was created with, unless --experiment names another.
    experiment = opts.get("experiment") or (None if opts.get("run_id") else spec.get("experiment") or study)

    def tune_main() -> None:
        from . import _tune_session, tune

        objective = script_objective(target, spec.get("objective"), spec) if script else model_objective(spec)
        defaults = dict(getattr(objective, "_mlwb_tune", {}) or {})
        kwargs: Dict[str, Any] = {**defaults}
        for key in ("sampler", "n_trials", "timeout", "n_jobs", "seed", "pruner", "space", "metric_names"):
            if key in spec:
                kwargs[key] = spec[key]
        if "directions" in spec:
            kwargs.pop("direction", None)
            kwargs["directions"] = spec["directions"]
        elif "direction" in spec:
            kwargs.pop("directions", None)
            kwargs["direction"] = spec["direction"]
        elif spec.get("model") and "directions" not in kwargs:
            kwargs.setdefault("direction", "maximize")  # scikit-learn scores: greater is better
        for key in ("sampler", "n_trials", "timeout", "n_jobs", "seed"):
            if key in opts:
                kwargs[key] = opts[key]
        config = {"spec": spec.get("_path"), "script": target if script else None}
        if spec.get("model"):
            m = spec["model"]
            config.update({"estimator": m["estimator"], "dataset": m["dataset"], "cv": m.get("cv", spec.get("cv", 5)),
                           "scoring": m.get("scoring", spec.get("scoring"))})
        kwargs["config"] = {k: v for k, v in config.items() if v is not None}
        kwargs["study_name"] = study
        if "storage" in opts:
            kwargs["storage"] = opts["storage"]
        _tune_session.echo = True
        result = tune.run(objective, **kwargs)
        if len(result.directions) == 1:
            best = result.best_trial
            if best is not None and best.value is not None:
                print(f"mlwb tune: {result.status}: best trial {best.number}: value {best.value:.6g}, "
                      f"params {json.dumps(best.params, default=str)}")
            else:
                print(f"mlwb tune: {result.status}: no complete trial yet")
        else:
            print(f"mlwb tune: {result.status}: {len(result.best_trials)} trial(s) on the Pareto front")

    if "params" in opts:
        def train_main() -> None:
            train_with_params(spec, target if script else None, opts["params"], opts.get("from"))

        return _runner.run(target, [], experiment=experiment, run_name=opts.get("run_name") or f"{study} (tuned params)",
                           autolog=True, main=train_main, run_id=opts.get("run_id"))
    return _runner.run(target, [], experiment=experiment, run_name=opts.get("run_name"), autolog=opts["autolog"], main=tune_main,
                       run_id=opts.get("run_id"))
