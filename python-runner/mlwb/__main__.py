"""``python -m mlwb``: the runner.

    python -m mlwb run [--experiment NAME] [--name RUN_NAME] [--no-autolog] [--no-trackers] [--run-id ID] script.py [args...]
    python -m mlwb serve --model PATH [--host H] [--port N] [--token T] ...   # see _serve.py
    python -m mlwb predict --model PATH --input CSV [--output CSV] ...       # see _predict.py
    python -m mlwb tune --spec tune.json [--script train.py] ...               # see _tune_cli.py
    python -m mlwb explain --model PATH --data CSV [--target COL] [--out DIR] [--run RUN_ID] ...
    python -m mlwb evaluate --model PATH [--model PATH2] --data CSV --target COL [--out DIR] [--run RUN_ID] ...
    python -m mlwb run net.mlwb-model.json [--epochs N] ...                  # see _modelspec.py
    python -m mlwb infer --weights weights.pt --input JSON                     # see _modelspec.py
    python -m mlwb info        # system info as JSON
    python -m mlwb --version
"""
from __future__ import annotations

import os
import sys
from typing import List, Optional

USAGE = """\
usage: python -m mlwb run [--experiment NAME] [--name RUN_NAME] [--no-autolog] [--no-trackers] [--no-code-snapshot]
                         [--no-data-inputs] [--run-id ID] script.py [args...]
       python -m mlwb serve --model PATH [--host 127.0.0.1] [--port 0] [--token T] [--max-batch 64]
                            [--max-wait-ms 5] [--max-body-mb 16] [--name NAME] [--version N]
       python -m mlwb predict --model PATH --input CSV [--output CSV] [--chunk-rows 10000] [--proba]
       (serve and predict: [--model-sha256 HEX] [--signature signature.json] [--threshold T])
       python -m mlwb tune --spec SPEC.json|yaml [--script train.py] [--n-trials N] [--timeout S] [--sampler S]
                           [--n-jobs N] [--experiment NAME] [--name RUN_NAME] [--no-autolog]
                           [--storage PATH --worker] [--run-id ID]
       python -m mlwb explain --model PATH [--model-sha256 HEX] --data CSV [--target COL] [--out DIR] [--run RUN_ID] [...]
       python -m mlwb evaluate --model PATH [--model PATH2] [--model-sha256 HEX ...] --data CSV --target COL
                               [--out DIR] [--run RUN_ID]
       python -m mlwb signature --data CSV [--target COL] [--source training|evaluation]
       python -m mlwb smoke --model PATH [--model-sha256 HEX] --data CSV [--target COL] [--requests 300]
       python -m mlwb run [--experiment NAME] [--name RUN_NAME] net.mlwb-model.json [--epochs N] [--batch-size N]
                          [--max-samples N] [--seed N] [--lr X]
       python -m mlwb infer --weights WEIGHTS.pt [--spec SPEC.mlwb-model.json] [--sha256 HEX] --input JSON
       python -m mlwb run [--experiment NAME] [--name RUN_NAME] NOTEBOOK.ipynb [--param NAME=VALUE ...]
       python -m mlwb info
       python -m mlwb --version

Runs script.py as `python script.py args` would, tracked as a run in the store ($MLWB_STORE, or the
nearest .mlwb directory, or ./.mlwb): script, argv, git, interpreter, stdout/stderr, exit status,
scikit-learn fits (autolog) and what the script computes with scikit-learn, matplotlib, XGBoost, argparse and
OmegaConf. Options (before the script):
  --experiment NAME   experiment of the run (default: the script's file name without .py)
  --name RUN_NAME     display name of the run
  --no-autolog        do not log scikit-learn fits, nor what the script computes with its libraries
                      (metrics, reports, figures, argparse/OmegaConf params, XGBoost: mlwb/capture/)
  --no-trackers       leave MLflow / W&B / TensorBoard calls alone (no stand-ins where they are missing, no
                      mirroring into the run where they are installed)
  --no-code-snapshot  keep no copy of the script and the workspace's Python files it imported (the runs' code
                      diff; .mlwb/code/ holds each content once, code.json in the run lists them)
  --no-data-inputs    do not record the workspace data files the script reads (path, size, sha256 in the run's
                      inputs.json; an audit hook on open)
  --run-id ID         continue run ID, created ahead of this process (a Slurm job submitted from VS Code:
                      run.json and a queued status exist); refused if it is missing or has already ended

A NOTEBOOK.ipynb runs headless on a Jupyter kernel (nbclient, ipykernel); --param values are injected after the
cell tagged `parameters` and are the run's params; the executed notebook is the run file notebook/executed.ipynb.

`explain` explains a model file on a CSV (SHAP, permutation importance, PDP/ICE) into DIR/explain.json;
`python -m mlwb explain --help` lists its options. `evaluate` writes DIR/evaluation.json (metrics, curves,
confusion matrix; two --model: DIR/comparison.json with a bootstrap interval and McNemar's test). A
pickle/joblib model file is code: explain or evaluate only files you trust.
"""


class UsageError(Exception):
    pass


def _parse_run(argv: List[str]) -> dict:
    opts: dict = {"experiment": None, "run_name": None, "autolog": True, "run_id": None, "trackers": True, "code_snapshot": True, "data_inputs": True}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        name, eq, value = arg.partition("=")
        if name in ("--experiment", "--name", "--run-id"):
            if not eq:
                i += 1
                if i >= len(argv):
                    raise UsageError(f"{name} needs a value")
                value = argv[i]
            if not value.strip():
                raise UsageError(f"{name} must not be empty")
            opts[{"--experiment": "experiment", "--name": "run_name", "--run-id": "run_id"}[name]] = value
        elif arg == "--no-autolog":
            opts["autolog"] = False
        elif arg == "--no-trackers":
            opts["trackers"] = False
        elif arg == "--no-code-snapshot":
            opts["code_snapshot"] = False
        elif arg == "--no-data-inputs":
            opts["data_inputs"] = False
        elif arg in ("-h", "--help"):
            raise SystemExit(_help())
        else:
            raise UsageError(f"unknown option {arg!r} (options go before the script)")
        i += 1
    if i >= len(argv):
        raise UsageError("missing the script to run")
    opts["script"] = argv[i]
    opts["args"] = argv[i + 1:]
    return opts


def _help() -> int:
    sys.stdout.write(USAGE)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if not args:
            raise UsageError("missing a command")
        cmd = args[0]
        if cmd in ("-h", "--help", "help"):
            return _help()
        if cmd in ("-V", "--version", "version"):
            from . import __version__

            print(f"mlwb {__version__}")
            return 0
        if cmd == "info":
            if len(args) > 1:
                raise UsageError("info takes no arguments")
            from ._runner import info

            print(info())
            return 0
        if cmd == "serve":
            from ._serve import main as serve_main

            return serve_main(args[1:])
        if cmd == "predict":
            from ._predict import main as predict_main

            return predict_main(args[1:])
        if cmd == "tune":
            from ._tune_cli import main as tune_main

            return tune_main(args[1:])
        if cmd == "explain":
            try:
                from .explain._cli import main as explain_main
            except ImportError as e:  # numpy / scikit-learn missing in this interpreter
                sys.stderr.write(f"mlwb explain: error: {e}\n")
                return 2
            return explain_main(args[1:])
        if cmd == "evaluate":
            try:
                from .evaluate._cli import main as evaluate_main
            except ImportError as e:  # numpy / scikit-learn missing in this interpreter
                sys.stderr.write(f"mlwb evaluate: error: {e}\n")
                return 2
            return evaluate_main(args[1:])
        if cmd == "signature":
            from ._signature import main as signature_main

            return signature_main(args[1:])
        if cmd == "smoke":
            from ._smoke import main as smoke_main

            return smoke_main(args[1:])
        if cmd == "infer":
            from ._modelspec import infer_main

            return infer_main(args[1:])
        if cmd != "run":
            raise UsageError(f"unknown command {cmd!r}")
        opts = _parse_run(args[1:])
    except UsageError as e:
        sys.stderr.write(f"mlwb: {e}\n\n{USAGE}")
        return 2
    script = opts["script"]
    if not os.path.isfile(script):
        why = "is a directory" if os.path.isdir(script) else "No such file"
        message = f"can't open file {os.path.abspath(script)!r}: {why}"
        sys.stderr.write(f"mlwb: {message}\n")
        if opts["run_id"]:  # a queued run would otherwise wait for a process that never comes
            from ._scheduled import fail_precreated
            from ._store import resolve_store

            fail_precreated(resolve_store(), opts["run_id"], message)
        return 2
    from ._runner import run

    if script.lower().endswith(".mlwb-model.json"):
        return _run_spec(opts)
    if script.lower().endswith(".ipynb"):
        return _run_notebook(opts)
    return run(script, opts["args"], experiment=opts["experiment"], run_name=opts["run_name"], autolog=opts["autolog"],
               run_id=opts["run_id"], trackers=opts["trackers"], code_snapshot=opts["code_snapshot"],
               data_inputs=opts["data_inputs"])


def _run_spec(opts: dict) -> int:
    """A model spec trains its network inside the run (checked first: a bad spec exits 2 with no run)."""
    from . import _modelspec
    from ._runner import run

    script = os.path.abspath(opts["script"])
    try:
        spec, hp = _modelspec.prepare(script, opts["args"])
    except _modelspec.SpecError as e:
        sys.stderr.write(f"mlwb: {os.path.basename(script)}: {e}\n")
        return 2
    except ImportError as e:  # torch / numpy missing in this interpreter
        sys.stderr.write(f"mlwb: a model spec needs PyTorch and NumPy ({e}); apt install python3-torch or pip install torch\n")
        return 2
    experiment = opts["experiment"] or spec.get("experiment") or os.path.basename(script)[: -len(".mlwb-model.json")]
    return run(script, opts["args"], experiment=experiment, run_name=opts["run_name"], autolog=False,
               main=lambda: _modelspec.main(script, spec, hp), run_id=opts["run_id"])


def _run_notebook(opts: dict) -> int:
    """A notebook executes on a Jupyter kernel inside the run (bad --param or missing packages: exit 2, no run)."""
    from . import _notebook
    from ._runner import run

    script = os.path.abspath(opts["script"])
    missing = _notebook.missing_packages()
    try:
        if missing:
            raise _notebook.NotebookError("running a notebook needs " + ", ".join(missing) + f" in {sys.executable}")
        params = _notebook.parse_params(opts["args"])
        _notebook.load(script)
    except _notebook.NotebookError as e:
        sys.stderr.write(f"mlwb: {os.path.basename(script)}: {e}\n")
        return 2
    return run(script, opts["args"], experiment=opts["experiment"], run_name=opts["run_name"], autolog=opts["autolog"],
               main=lambda: _notebook.execute(script, params, opts["autolog"], opts["trackers"]), run_id=opts["run_id"],
               trackers=opts["trackers"])


def cli() -> None:
    """The ``mlwb`` console script (when installed from pyproject.toml)."""
    sys.exit(main())


if __name__ == "__main__":
    cli()
