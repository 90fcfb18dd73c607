"""FAKE real mlflow.tracking.fluent (a test fixture): runs kept in memory, every call recorded."""
import uuid

from _fake_log import record

_stack = []
_experiment = "Default"


class _Info:
    def __init__(self, run_name, experiment_id):
        self.run_id = uuid.uuid4().hex
        self.run_name = run_name
        self.experiment_id = experiment_id


class ActiveRun:
    def __init__(self, info):
        self.info = info

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        end_run("FINISHED" if exc_type is None else "FAILED")  # the module global, as mlflow's ActiveRun does


class _Experiment:
    def __init__(self, name):
        self.experiment_id = name
        self.name = name


def set_experiment(name):
    global _experiment
    _experiment = name
    record("mlflow", "set_experiment", name=name)
    return _Experiment(name)


def get_experiment(experiment_id):
    return _Experiment(experiment_id)


def start_run(run_id=None, experiment_id=None, run_name=None, nested=False, tags=None, **kwargs):
    if _stack and not nested:
        raise Exception("Run is already active")
    run = ActiveRun(_Info(run_name, experiment_id or _experiment))
    _stack.append(run)
    record("mlflow", "start_run", run_id=run.info.run_id, nested=nested)
    return run


def end_run(status="FINISHED"):
    if _stack:
        run = _stack.pop()
        record("mlflow", "end_run", run_id=run.info.run_id, status=status)


def active_run():
    return _stack[-1] if _stack else None


def _run():
    if not _stack:
        start_run()  # the module global: mlflow starts a run when something is logged without one
    return _stack[-1].info.run_id


def log_param(key, value, synchronous=None):
    record("mlflow", "log_param", run_id=_run(), key=key, value=value)
    return value


def log_params(params, synchronous=None, run_id=None):
    for k, v in params.items():
        log_param(k, v)  # nested calls: the mirror must not record them twice


def log_metric(key, value, step=None, synchronous=None, timestamp=None, run_id=None):
    record("mlflow", "log_metric", run_id=_run(), key=key, value=value, step=step)


def log_metrics(metrics, step=None, synchronous=None, run_id=None, timestamp=None):
    for k, v in metrics.items():
        log_metric(k, v, step=step)


def set_tag(key, value, synchronous=None):
    record("mlflow", "set_tag", run_id=_run(), key=key, value=value)
