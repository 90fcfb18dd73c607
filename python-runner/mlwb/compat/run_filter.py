"""A subset of MLflow's run search syntax, in one module so a fuller query language can replace it.

    metrics.accuracy > 0.9 and params.model = 'rf' and tags.`team name` != "x" and status = 'FINISHED'

Supported: clauses joined by AND; ``metrics.`` (numbers: = != < <= > >=), ``params.`` and ``tags.`` (text: = != LIKE
ILIKE), ``attributes.`` (or bare) ``status``, ``run_name``, ``run_id``, ``start_time``, ``end_time``; names in
backticks or double quotes; values as numbers or quoted text. ``order_by``: ``"metrics.x DESC"``, ``"start_time"``...
Anything else (OR, IN, IS NULL, parentheses) is a ``FilterError`` that says so: never silently ignored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Tuple

Lookup = Callable[[str, str], Any]  # (kind, key) -> value, or None when the run has no such key

_KINDS = {"metric": "metrics", "metrics": "metrics", "param": "params", "params": "params", "parameter": "params",
          "parameters": "params", "tag": "tags", "tags": "tags", "attribute": "attributes", "attributes": "attributes",
          "attr": "attributes", "run": "attributes"}
TEXT_ATTRIBUTES = ("status", "run_name", "run_id", "user_id", "artifact_uri", "experiment_id")
NUMBER_ATTRIBUTES = ("start_time", "end_time", "created")
_TOKEN = re.compile(r"""\s*(?:
    (?P<op>!=|>=|<=|=|<|>)
  | (?P<quoted>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<backtick>`[^`]*`)
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))
  | (?P<word>[A-Za-z_][\w.:/-]*)
  | (?P<other>\S)
)""", re.VERBOSE)


class FilterError(ValueError):
    pass


@dataclass(frozen=True)
class Clause:
    kind: str  # metrics | params | tags | attributes
    key: str
    op: str  # = != < <= > >= LIKE ILIKE
    value: Any


def _tokens(text: str) -> List[Tuple[str, str]]:
    out: List[Tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            break
        pos = m.end()
        kind = m.lastgroup or "other"
        out.append((kind, m.group(kind)))
    return out


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s[1:-1])


def parse(text: Optional[str]) -> List[Clause]:
    """The clauses of a filter string (empty or None: no clause)."""
    if not text or not text.strip():
        return []
    toks = _tokens(text)
    clauses: List[Clause] = []
    i = 0
    while i < len(toks):
        kind, key, i = _identifier(toks, i, text)
        if i >= len(toks):
            raise FilterError(f"filter {text!r}: a comparison is missing after {key!r}")
        t, v = toks[i]
        if t == "op":
            op = v
        elif t == "word" and v.upper() in ("LIKE", "ILIKE"):
            op = v.upper()
        else:
            raise FilterError(f"filter {text!r}: unsupported comparison {v!r} (supported: = != < <= > >= LIKE ILIKE)")
        i += 1
        if i >= len(toks):
            raise FilterError(f"filter {text!r}: a value is missing after {op}")
        t, v = toks[i]
        if t == "number":
            value: Any = float(v)
        elif t == "quoted":
            value = _unquote(v)
        else:
            raise FilterError(f"filter {text!r}: {v!r} is not a value (quote text: 'value')")
        i += 1
        clauses.append(_checked(Clause(kind, key, op, value), text))
        if i < len(toks):
            t, v = toks[i]
            if t != "word" or v.upper() != "AND":
                raise FilterError(f"filter {text!r}: only AND joins clauses here, got {v!r}")
            i += 1
            if i >= len(toks):
                raise FilterError(f"filter {text!r}: a clause is missing after AND")
    return clauses


def _identifier(toks: List[Tuple[str, str]], i: int, text: str) -> Tuple[str, str, int]:
    t, v = toks[i]
    if t == "backtick" or t == "quoted":
        raise FilterError(f"filter {text!r}: {v} needs a kind before it (metrics., params., tags. or attributes.)")
    if t != "word":
        raise FilterError(f"filter {text!r}: unexpected {v!r} (OR, IN and parentheses are not supported)")
    head, dot, rest = v.partition(".")
    if dot and head.lower() in _KINDS:
        kind = _KINDS[head.lower()]
        if rest:
            return kind, rest, i + 1
        if i + 1 < len(toks) and toks[i + 1][0] in ("backtick", "quoted"):
            return kind, toks[i + 1][1][1:-1], i + 2
        raise FilterError(f"filter {text!r}: a name is missing after {v!r}")
    if v.lower() in TEXT_ATTRIBUTES + NUMBER_ATTRIBUTES:
        return "attributes", v.lower(), i + 1
    raise FilterError(f"filter {text!r}: {v!r} is not metrics.<name>, params.<name>, tags.<name> or an attribute "
                      f"({', '.join(TEXT_ATTRIBUTES + NUMBER_ATTRIBUTES)})")


def _checked(c: Clause, text: str) -> Clause:
    numeric = c.kind == "metrics" or (c.kind == "attributes" and c.key in NUMBER_ATTRIBUTES)
    if c.kind == "attributes" and c.key not in TEXT_ATTRIBUTES + NUMBER_ATTRIBUTES:
        raise FilterError(f"filter {text!r}: unknown attribute {c.key!r}")
    if numeric and (c.op in ("LIKE", "ILIKE") or not isinstance(c.value, float)):
        raise FilterError(f"filter {text!r}: {c.kind}.{c.key} compares numbers (= != < <= > >=)")
    if not numeric and c.op not in ("=", "!=", "LIKE", "ILIKE"):
        raise FilterError(f"filter {text!r}: {c.kind}.{c.key} compares text (= != LIKE ILIKE)")
    if not numeric and isinstance(c.value, float):
        raise FilterError(f"filter {text!r}: quote the value of {c.kind}.{c.key} ('...'): it is text")
    return c


def _like(pattern: str, flags: int = 0) -> "re.Pattern[str]":
    out = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile(f"^{out}$", flags | re.DOTALL)


def matches(clauses: Sequence[Clause], lookup: Lookup) -> bool:
    for c in clauses:
        v = lookup(c.kind, c.key)
        if v is None:
            return False
        if isinstance(c.value, float):
            try:
                x = float(v)
            except (TypeError, ValueError):
                return False
            ok = {"=": x == c.value, "!=": x != c.value, "<": x < c.value, "<=": x <= c.value,
                  ">": x > c.value, ">=": x >= c.value}[c.op]
        else:
            s = str(v)
            if c.op == "=":
                ok = s == c.value
            elif c.op == "!=":
                ok = s != c.value
            else:
                ok = _like(c.value, re.IGNORECASE if c.op == "ILIKE" else 0).match(s) is not None
        if not ok:
            return False
    return True


def parse_order_by(order_by: Optional[Sequence[str]]) -> List[Tuple[str, str, bool]]:
    """``["metrics.acc DESC", "start_time"]`` -> ``[(kind, key, descending)...]``."""
    out: List[Tuple[str, str, bool]] = []
    for item in order_by or []:
        parts = str(item).strip().rsplit(None, 1)
        desc = False
        if len(parts) == 2 and parts[1].upper() in ("ASC", "DESC"):
            desc = parts[1].upper() == "DESC"
            ident = parts[0]
        else:
            ident = str(item).strip()
        toks = _tokens(ident)
        if not toks:
            raise FilterError(f"order_by {item!r}: nothing to order by")
        kind, key, i = _identifier(toks, 0, ident)
        if i != len(toks):
            raise FilterError(f"order_by {item!r}: expected '<name> [ASC|DESC]'")
        out.append((kind, key, desc))
    return out
