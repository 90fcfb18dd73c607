"""The one rule for values that must never be recorded: secrets from the environment and the command line.

Environment variables are never recorded at all (nothing in mlwb reads ``os.environ`` into a record);
command lines are recorded with the values of secret-looking options replaced by ``"***"``; and the
script's captured output and error text are recorded with those same values (and the values of
secret-named or ``.env`` variables) replaced by ``"***"`` (:class:`Redactor`).
"""
from __future__ import annotations

import os
import re
import sys
from typing import Iterable, List, Mapping, Optional, Sequence

MASK = "***"
# Names of the variables the extension set from a `.env` file: every one of their values is a secret.
SECRET_ENV_NAMES = "MLWB_SECRET_ENV"
# Shorter values (and booleans) are too common in ordinary output to be masked wherever they appear.
_MIN_SECRET = 6
_NOT_SECRET = {"true", "false", "yes", "no", "none", "null"}
# Files that usually hold secrets: their changes are left out of the git diff a run records.
SECRET_FILE_GLOBS = ("**/.env", "**/.env.*", "**/*.pem", "**/*.key", "**/.netrc", "**/*credentials*", "**/*secret*")
SECRET_NAME = re.compile(r"TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", re.IGNORECASE)
# scheme://user:password@host -> scheme://user:***@host
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)(?P<pw>[^/\s@]+)(?P<at>@)")


def looks_secret(name: str) -> bool:
    """True when an option or variable name looks like it holds a secret (``--api-key``, ``DB_PASSWORD``)."""
    return bool(SECRET_NAME.search(name))


def mask_argv(argv: Sequence[str]) -> List[str]:
    """``argv`` with secret-looking values replaced by ``"***"``.

    - ``--api-key X`` / ``-token X``: the value after a secret-looking flag (unless it is itself a ``--flag``);
    - ``--token=X``, ``password=X``, ``db.auth_token=X``: the part after ``=``;
    - ``https://user:pw@host``: the password of a URL.

    The rule errs on the safe side: ``--author bob`` is masked too (``AUTH``).

    Example:
        >>> mask_argv(["train.py", "--api-key", "abc", "--lr=0.1", "password=hunter2"])
        ['train.py', '--api-key', '***', '--lr=0.1', 'password=***']
    """
    out: List[str] = []
    mask_next = False
    for i, arg in enumerate(argv):
        arg = str(arg)
        if mask_next:
            mask_next = False
            if not arg.startswith("--"):
                out.append(MASK)
                continue
        name, eq, _value = arg.partition("=")
        if eq and name and " " not in name and looks_secret(name):
            out.append(f"{name}={MASK}")
            continue
        if i > 0 and arg.startswith("-") and len(arg) > 1 and not eq and looks_secret(arg):
            out.append(arg)
            mask_next = True
            continue
        out.append(_URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}{m['at']}", arg) if "://" in arg else arg)
    return out


def secret_values(environ: Mapping[str, str], argv: Sequence[str]) -> List[str]:
    """The values that must not appear in what is recorded: those of secret-named variables, of the
    variables named in ``MLWB_SECRET_ENV`` (the `.env` file's), and those :func:`mask_argv` masks."""
    dotenv = {n.strip() for n in environ.get(SECRET_ENV_NAMES, "").split(",") if n.strip()}
    found = [v for n, v in environ.items() if n != SECRET_ENV_NAMES and (n in dotenv or looks_secret(n))]
    for raw, masked in zip(argv, mask_argv(argv)):
        if raw == masked:
            continue
        if masked == MASK:
            found.append(raw)
        elif masked.endswith("=" + MASK):
            found.append(raw.partition("=")[2])
        else:
            found.extend(m["pw"] for m in _URL_PASSWORD.finditer(raw))
    return found


class Redactor:
    """Replaces every occurrence of the given secret values by ``"***"`` (longest first, so a secret that
    contains another is masked whole)."""

    def __init__(self, values: Iterable[str]) -> None:
        keep = sorted({v for v in values if len(v) >= _MIN_SECRET and v.strip().lower() not in _NOT_SECRET}, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, keep))) if keep else None

    def __call__(self, text: str) -> str:
        return self._pattern.sub(MASK, text) if self._pattern is not None and text else text


_process_redactor: Optional[Redactor] = None


def redact(text: str) -> str:
    """``text`` with this process's secret values (its environment and command line, as first seen) masked."""
    global _process_redactor
    if _process_redactor is None:
        _process_redactor = Redactor(secret_values(os.environ, sys.argv))
    return _process_redactor(text)
