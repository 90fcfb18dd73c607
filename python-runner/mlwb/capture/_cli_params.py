"""Hyperparameters from the command line and config files, as params, so Compare shows which ones differ.

- ``argparse``: the namespace of every top-level ``parse_args`` / ``parse_known_args`` (and the intermixed
  variants; subparsers' own parses are part of their parent's) -> ``args.<dest>`` (``args.lr``, ``args.command``).
- OmegaConf (Hydra-style configs, when the script imports omegaconf): the result of every top-level
  ``OmegaConf.load`` / ``create`` / ``merge`` / ``unsafe_merge`` / ``from_cli`` / ``from_dotlist`` that is a
  mapping -> ``cfg.<dotted.key>`` (interpolations resolved when they can be). The usual load, from_cli, merge
  sequence ends with the merged values: a later record of a key replaces an earlier one.

Secrets: the value of a secret-looking option or key (``--api-key``, ``db.password``: the rule that masks
argv) is ``***``, and secret values from the environment or the command line are masked inside any text.
"""
from __future__ import annotations

import functools
import threading
import time
from typing import Any, Callable, Dict, Set

from .. import _ambient, _params
from .._records import record
from .._secrets import looks_secret
from ._budget import budget, note_once
from ._values import masked_params

OMEGACONF_FUNCTIONS = ("load", "create", "merge", "unsafe_merge", "from_cli", "from_dotlist")
MAX_PARAMS = 1000
_MARK = "_mlwb_capture"

_enabled = False
_local = threading.local()  # depth of parse_known_args / OmegaConf calls in progress in this thread


def enable() -> None:
    global _enabled
    _enabled = True


def disable() -> None:
    global _enabled
    _enabled = False


def _record(prefix: str, values: Dict[str, Any], secret_keys: Set[str], what: str) -> None:
    exp = _ambient.owner()
    if exp is None or exp._run is None or not values:
        return
    items = list(values.items())
    if len(items) > MAX_PARAMS:
        note_once(f"{prefix}cap", f"{what}: only the first {MAX_PARAMS} of {len(items)} values are kept as params", "warn")
        items = items[:MAX_PARAMS]
    exp._run.journal.add(record("params", values=masked_params(prefix, dict(items), secret_keys)))
    note_once(prefix, f"{what} are kept as params ({prefix}...)")


def _outermost(fn: Any, after: Callable[[Any, tuple, Dict[str, Any]], None]) -> Any:
    """``fn`` that calls ``after(result, args, kwargs)`` when it returns and no other such call is in progress."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _enabled:
            return fn(*args, **kwargs)
        _local.depth = getattr(_local, "depth", 0) + 1
        try:
            result = fn(*args, **kwargs)
        finally:
            _local.depth -= 1
        if _local.depth == 0:
            t0 = time.perf_counter()
            try:
                after(result, args, kwargs)
            except Exception as e:  # never the script's problem
                note_once(f"params:{fn.__qualname__}", f"could not record the values of {fn.__qualname__}: {e!r}", "warn")
            budget.add(time.perf_counter() - t0)
        return result

    setattr(wrapper, _MARK, True)
    return wrapper


# -- argparse --------------------------------------------------------------------------------------------

def on_argparse(module: Any) -> None:
    cls = module.ArgumentParser
    fn = cls.__dict__.get("parse_known_args")
    if fn is not None and not getattr(fn, _MARK, False):
        cls.parse_known_args = _outermost(fn, _after_parse)


def _after_parse(result: Any, args: tuple, kwargs: Dict[str, Any]) -> None:
    parser = args[0] if args else None
    namespace = result[0] if isinstance(result, tuple) and result else None
    values = getattr(namespace, "__dict__", None)
    if parser is None or not isinstance(values, dict):
        return
    _record("args.", values, _secret_dests(parser), "command-line arguments (argparse)")


def _secret_dests(parser: Any, seen: "Set[int] | None" = None) -> Set[str]:
    """Destinations of options named like secrets (``--api-key`` -> ``api_key``), subparsers' included."""
    seen = seen if seen is not None else set()
    if id(parser) in seen:
        return set()
    seen.add(id(parser))
    out: Set[str] = set()
    for action in getattr(parser, "_actions", ()):
        if any(looks_secret(s) for s in getattr(action, "option_strings", ())):
            out.add(action.dest)
        choices = getattr(action, "choices", None)
        if isinstance(choices, dict):  # a subparsers action: its parsers
            for sub in choices.values():
                out |= _secret_dests(sub, seen)
    return out


# -- OmegaConf -------------------------------------------------------------------------------------------

def on_omegaconf(module: Any) -> None:
    cls = getattr(module, "OmegaConf", None)
    if cls is None:
        return
    for name in OMEGACONF_FUNCTIONS:
        sm = cls.__dict__.get(name)
        fn = getattr(sm, "__func__", None)
        if isinstance(sm, staticmethod) and fn is not None and not getattr(fn, _MARK, False):
            setattr(cls, name, staticmethod(_outermost(fn, functools.partial(_after_config, cls))))


def _after_config(omegaconf: Any, result: Any, args: tuple, kwargs: Dict[str, Any]) -> None:
    if not omegaconf.is_dict(result):
        return
    try:
        plain = omegaconf.to_container(result, resolve=True, throw_on_missing=False)
    except Exception:  # an interpolation that cannot be resolved yet: keep it as written
        plain = omegaconf.to_container(result, resolve=False, throw_on_missing=False)
    if isinstance(plain, dict):
        _record("cfg.", _params.flatten({str(k): v for k, v in plain.items()}), set(), "configuration values (OmegaConf)")


HOOKS: Dict[str, Callable[[Any], None]] = {"argparse": on_argparse, "omegaconf": on_omegaconf}
