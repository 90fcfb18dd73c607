"""The one rule for values that must never be recorded: secret-looking command-line values.

Environment variables are never recorded at all (nothing in mlwb reads ``os.environ`` into a record);
command lines are recorded with the values of secret-looking options replaced by ``"***"``.
"""
from __future__ import annotations

import re
from typing import List, Sequence

MASK = "***"
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
