"""FAKE real wandb (a test fixture, see ../README.md): init binds the module's log/config/summary to the run."""
import sys
import uuid

from _fake_log import record

__version__ = "0.18.0.fake-real"
run = None
config = None
summary = None


class _Config(dict):
    def __getattr__(self, name):
        return self[name]

    def __setattr__(self, name, value):
        self[name] = value

    def update(self, d=None, allow_val_change=None, **kw):
        dict.update(self, dict(d or {}), **kw)


class Run:
    def __init__(self, project, name, config, tags):
        self.id = uuid.uuid4().hex[:8]
        self.project, self.name, self.tags = project, name, tuple(tags or ())
        self.config = _Config(config or {})
        self.summary = {}
        self._step = 0

    def log(self, data, step=None, commit=None):
        record("wandb", "log", data=data, step=step)
        self.summary.update(data)

    def finish(self, exit_code=None, quiet=None):
        record("wandb", "finish", exit_code=exit_code)
        module = sys.modules[__name__]
        module.run = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.finish()


def init(project=None, name=None, config=None, tags=None, **kwargs):
    r = Run(project, name, config, tags)
    module = sys.modules[__name__]
    module.run, module.config, module.summary, module.log = r, r.config, r.summary, r.log  # as wandb's _set_global
    record("wandb", "init", project=project, name=name)
    return r


def log(data, step=None, commit=None):
    raise RuntimeError("You must call wandb.init() before wandb.log()")


def finish(exit_code=None, quiet=None):
    if run is not None:
        run.finish(exit_code=exit_code)
