"""The run query language: MLflow's search syntax plus OR, NOT and parentheses. Standard library only.

    metrics.`eval/acc` > 0.9 and (params.model = 'rf' or params.model IN ('gb', 'xgb')) and tags.team ILIKE 'ml%'

The vocabulary is ``query_grammar.json`` (next to this file); ``src/store/query/`` in the extension implements the
same grammar, and both answer the shared cases of ``tests/data/query-cases.json`` alike, error messages and
positions included. A run is matched as a record::

    {"run_id": ..., "run_name": ..., "experiment_id": ..., "status": "completed", "start_time": ms, "end_time": ms,
     "duration": s, "params": {...}, "metrics": {key: last value}, "tags": {key: text}}

A comparison on a key the run lacks is false (``!=`` and ``NOT IN`` too); ``NOT`` negates a whole match.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

GRAMMAR: Dict[str, Any] = json.loads((Path(__file__).with_name("query_grammar.json")).read_text(encoding="utf-8"))
_PREFIXES: Dict[str, str] = GRAMMAR["prefixes"]
_ATTRIBUTES: Dict[str, str] = GRAMMAR["attributes"]
_ALIASES: Dict[str, str] = GRAMMAR["attribute_aliases"]
_STATUSES: Dict[str, str] = GRAMMAR["statuses"]
_MLFLOW_STATUS: Dict[str, str] = GRAMMAR["mlflow_status"]
_KEY_HELP = "metrics.<name>, params.<name>, tags.<name> or an attribute: " + ", ".join(_ATTRIBUTES)
_COMPARE = {"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_NUMERIC = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_./:-]*")


class QueryError(ValueError):
    """A query that does not parse: ``position`` is the 0-based offset of the offending character."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return f"{self.message} (at column {self.position + 1})"


@dataclass(frozen=True)
class _Token:
    kind: str  # word | number | string | name (backquoted) | op | ( | ) | , | end
    text: str  # the source text
    value: Any
    pos: int


@dataclass(frozen=True)
class Key:
    kind: str  # metrics | params | tags | attributes
    name: str

    @property
    def label(self) -> str:
        return self.name if self.kind == "attributes" else f"{self.kind}.{self.name}"


@dataclass(frozen=True)
class Comparison:
    key: Key
    op: str  # = != < <= > >= LIKE ILIKE IN NULL
    values: Tuple[Any, ...] = ()
    negated: bool = False  # NOT LIKE, NOT IN, IS NOT NULL


@dataclass(frozen=True)
class Not:
    operand: "Node"


@dataclass(frozen=True)
class BoolOp:
    op: str  # and | or
    operands: Tuple["Node", ...]


Node = Union[Comparison, Not, BoolOp]


def _tokens(text: str) -> List[_Token]:
    out: List[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "(),":
            out.append(_Token(c, c, c, i))
            i += 1
        elif c in "=!<>":
            two = text[i:i + 2]
            op = two if two in _COMPARE else c if c in _COMPARE else None
            if op is None:
                raise QueryError(f"unexpected character {_q(c)}", i)
            out.append(_Token("op", op, _COMPARE[op], i))
            i += len(op)
        elif c in "'\"`":
            j, chars = i + 1, []
            while j < n and text[j] != c:
                if text[j] == "\\" and c != "`" and j + 1 < n:
                    j += 1
                chars.append(text[j])
                j += 1
            if j >= n:
                raise QueryError("unterminated backquoted name" if c == "`" else "unterminated string", i)
            out.append(_Token("name" if c == "`" else "string", text[i:j + 1], "".join(chars), i))
            i = j + 1
        elif (m := _NUMERIC.match(text, i)) is not None:
            out.append(_Token("number", m.group(), float(m.group()), i))
            i = m.end()
        elif (m := _WORD.match(text, i)) is not None:
            out.append(_Token("word", m.group(), m.group(), i))
            i = m.end()
        else:
            raise QueryError(f"unexpected character {_q(c)}", i)
    out.append(_Token("end", "", None, n))
    return out


def _q(s: str) -> str:
    return f"'{s}'"


def _found(t: _Token) -> str:
    """How an error names a token: strings and backquoted names as written, the rest in single quotes."""
    return "the end" if t.kind == "end" else t.text if t.kind in ("string", "name") else _q(t.text)


def _kw(t: _Token, *words: str) -> bool:
    return t.kind == "word" and t.text.upper() in words


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> _Token:
        return self.toks[self.i]

    def take(self) -> _Token:
        t = self.toks[self.i]
        self.i = min(self.i + 1, len(self.toks) - 1)  # the end token repeats
        return t

    def query(self) -> Node:
        node = self.or_()
        t = self.peek()
        if t.kind != "end":
            raise QueryError(f"expected AND, OR or the end, found {_found(t)}", t.pos)
        return node

    def or_(self) -> Node:
        parts = [self.and_()]
        while _kw(self.peek(), "OR"):
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else BoolOp("or", tuple(parts))

    def and_(self) -> Node:
        parts = [self.unary()]
        while _kw(self.peek(), "AND"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))

    def unary(self) -> Node:
        t = self.peek()
        if _kw(t, "NOT"):
            self.take()
            return Not(self.unary())
        if t.kind == "(":
            self.take()
            node = self.or_()
            close = self.take()
            if close.kind != ")":
                raise QueryError(f"expected ')' to close the '(' at column {t.pos + 1}, found {_found(close)}", close.pos)
            return node
        return self.comparison()

    def key(self) -> Key:
        t = self.take()
        if t.kind != "word":
            raise QueryError(f"expected a key ({_KEY_HELP}), found {_found(t)}", t.pos)
        head, dot, rest = t.text.partition(".")
        kind = _PREFIXES.get(head.lower()) if dot else None
        if kind is not None:
            name = rest
            if not name:
                n = self.peek()
                if n.kind not in ("name", "string"):
                    raise QueryError(f"a name is missing after {_q(t.text)}", n.pos)
                name = self.take().value
            if kind != "attributes":
                return Key(kind, name)
            return Key("attributes", self.attribute(name, t.pos))
        if dot:
            raise QueryError(f"unknown key {_q(t.text)} (keys are {_KEY_HELP})", t.pos)
        attr = _ALIASES.get(t.text.lower(), t.text.lower())
        if attr not in _ATTRIBUTES:
            raise QueryError(f"unknown key {_q(t.text)} (keys are {_KEY_HELP})", t.pos)
        return Key("attributes", attr)

    def attribute(self, name: str, pos: int) -> str:
        attr = _ALIASES.get(name.lower(), name.lower())
        if attr not in _ATTRIBUTES:
            raise QueryError(f"unknown attribute {_q(name)} (known: {', '.join(_ATTRIBUTES)})", pos)
        return attr

    def comparison(self) -> Comparison:
        key = self.key()
        kind = _kind(key)
        t = self.take()
        negated = False
        if _kw(t, "IS"):
            n = self.take()
            if _kw(n, "NOT"):
                negated, n = True, self.take()
            if not _kw(n, "NULL"):
                raise QueryError(f"expected NULL after IS, found {_found(n)}", n.pos)
            return Comparison(key, "NULL", (), negated)
        if _kw(t, "NOT"):
            negated, t = True, self.take()
            if not _kw(t, "IN", "LIKE", "ILIKE"):
                raise QueryError(f"expected IN, LIKE or ILIKE after NOT, found {_found(t)}", t.pos)
        if t.kind == "op":
            op = t.value
            if kind == "status" and op not in ("=", "!="):
                raise QueryError(f"{key.label} cannot be compared with {t.text} (use =, !=, LIKE, ILIKE or IN)", t.pos)
            v = self.take()
            return Comparison(key, op, (self.value(v, key, kind, op),))
        if _kw(t, "LIKE", "ILIKE"):
            op = t.text.upper()
            if kind == "number":
                raise QueryError(f"{op} compares text: {key.label} is a number", t.pos)
            v = self.take()
            if v.kind != "string":
                raise QueryError(f"{op} needs a quoted pattern, found {_found(v)}", v.pos)
            return Comparison(key, op, (v.value,), negated)
        if _kw(t, "IN"):
            open_ = self.take()
            if open_.kind != "(":
                raise QueryError(f"expected '(' after IN, found {_found(open_)}", open_.pos)
            values = [self.value(self.take(), key, kind, "=")]
            while True:
                sep = self.take()
                if sep.kind == ")":
                    break
                if sep.kind != ",":
                    raise QueryError(f"expected ',' or ')' in the IN list, found {_found(sep)}", sep.pos)
                values.append(self.value(self.take(), key, kind, "="))
            return Comparison(key, "IN", tuple(values), negated)
        raise QueryError(f"expected a comparison (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS) after {key.label}, found {_found(t)}",
                         t.pos)

    def value(self, v: _Token, key: Key, kind: str, op: str) -> Any:
        if v.kind not in ("number", "string"):
            raise QueryError(f"expected a value (a number or a quoted string), found {_found(v)}", v.pos)
        if kind == "number" and v.kind != "number":
            raise QueryError(f"{key.label} compares numbers, found {_found(v)}", v.pos)
        if kind == "status":
            if v.kind != "string" or str(v.value).lower() not in _STATUSES:
                raise QueryError(f"unknown status {v.text} (known: {', '.join(dict.fromkeys(_STATUSES.values()))}"
                                 " or MLflow's SCHEDULED, RUNNING, FINISHED, FAILED, KILLED)", v.pos)
            return _STATUSES[str(v.value).lower()]
        if op in ("<", "<=", ">", ">=") and v.kind == "string" and _NUMERIC.fullmatch(v.value) is None:
            raise QueryError(f"{op} compares numbers, found {_found(v)}", v.pos)
        return v.value


def _kind(key: Key) -> str:
    if key.kind == "metrics":
        return "number"
    if key.kind == "attributes":
        return _ATTRIBUTES[key.name]
    return "text"


def parse(text: Optional[str]) -> Optional[Node]:
    """The query's tree; None for an empty query (every run matches). Raises QueryError."""
    if text is None or not text.strip():
        return None
    return _Parser(text).query()


# -- evaluation --------------------------------------------------------------------------------------

_MISSING = object()


def _lookup(run: Mapping[str, Any], key: Key) -> Any:
    if key.kind == "attributes":
        v = run.get(key.name)
    else:
        v = (run.get(key.kind) or {}).get(key.name, _MISSING)
        if v is _MISSING:
            return _MISSING
    return _MISSING if v is None else v


def number_text(x: Union[int, float]) -> str:
    """A number as text, the same in both languages: integers without ``.0``, else Python's shortest repr."""
    if isinstance(x, int):
        return str(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


def value_text(v: Any) -> str:
    """A param or tag as text: strings as they are, everything else as compact JSON with number_text numbers."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return number_text(v)
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_json(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(str(k), ensure_ascii=False) + ":" + _json(x) for k, x in v.items()) + "}"
    return str(v)


def _json(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False) if isinstance(v, str) else value_text(v)


def _as_number(v: Any) -> Optional[float]:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str) and _NUMERIC.fullmatch(v):
        return float(v)
    return None


def _like(pattern: str, s: str, fold: bool) -> bool:
    if fold:
        pattern, s = pattern.lower(), s.lower()
    rx = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(rx, s, re.DOTALL) is not None


def _equal(v: Any, lit: Any, kind: str) -> bool:
    if kind == "status":
        return _STATUSES.get(str(v).lower()) == lit
    a, b = _as_number(v), _as_number(lit)
    if a is not None and b is not None:
        return a == b
    return kind != "number" and value_text(v) == value_text(lit)


def _compare(c: Comparison, v: Any) -> bool:
    kind = _kind(c.key)
    if c.op == "=":
        return _equal(v, c.values[0], kind)
    if c.op == "!=":
        return not _equal(v, c.values[0], kind) and not (kind == "number" and _as_number(v) is None)
    if c.op == "IN":
        return any(_equal(v, x, kind) for x in c.values) != c.negated
    if c.op in ("LIKE", "ILIKE"):
        texts = [str(v), _MLFLOW_STATUS.get(_STATUSES.get(str(v).lower(), ""), "")] if kind == "status" else [value_text(v)]
        return any(_like(c.values[0], s, c.op == "ILIKE") for s in texts if s) != c.negated
    a, b = _as_number(v), _as_number(c.values[0])
    if a is None or b is None:
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[c.op]


def matches(node: Optional[Node], run: Mapping[str, Any]) -> bool:
    """Whether the run record matches the parsed query (None: every run)."""
    if node is None:
        return True
    if isinstance(node, BoolOp):
        return all(matches(n, run) for n in node.operands) if node.op == "and" else any(matches(n, run) for n in node.operands)
    if isinstance(node, Not):
        return not matches(node.operand, run)
    v = _lookup(run, node.key)
    if node.op == "NULL":
        return (v is _MISSING) != node.negated
    if v is _MISSING:
        return False
    return _compare(node, v)


def filter_runs(query: Optional[str], runs: Sequence[Mapping[str, Any]]) -> List[Mapping[str, Any]]:
    """The runs matching ``query`` (parsed once), in their order."""
    node = parse(query)
    return [r for r in runs if matches(node, r)]


def keys_of(node: Optional[Node]) -> Dict[str, List[str]]:
    """The params, metrics and tags a query reads (so a caller loads only those)."""
    out: Dict[str, List[str]] = {"params": [], "metrics": [], "tags": []}
    stack = [node] if node is not None else []
    while stack:
        n = stack.pop()
        if isinstance(n, BoolOp):
            stack.extend(n.operands)
        elif isinstance(n, Not):
            stack.append(n.operand)
        elif isinstance(n, Comparison) and n.key.kind in out and n.key.name not in out[n.key.kind]:
            out[n.key.kind].append(n.key.name)
    return out


def parse_order_by(items: Optional[Sequence[str]]) -> List[Tuple[Key, bool]]:
    """``["metrics.acc DESC", "start_time"]`` -> ``[(key, descending), ...]``; keys as the query language writes them."""
    out: List[Tuple[Key, bool]] = []
    for item in items or []:
        p = _Parser(str(item))
        key = p.key()
        t = p.take()
        desc = False
        if _kw(t, "ASC", "DESC"):
            desc, t = t.text.upper() == "DESC", p.take()
        if t.kind != "end":
            raise QueryError(f"expected ASC, DESC or the end, found {_found(t)}", t.pos)
        out.append((key, desc))
    return out


def value_of(run: Mapping[str, Any], key: Key) -> Any:
    """The run's value for ``key``, None when it has none."""
    v = _lookup(run, key)
    return None if v is _MISSING else v
