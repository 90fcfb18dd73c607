"""MLflow's run search for the tracker stand-in: the query language of ``mlwb._query`` (MLflow's syntax plus OR, NOT
and parentheses; the grammar the Runs view and ``mlwb.search_runs`` use) behind the lookup interface the adapter
gives (kind, key) -> value.

    metrics.accuracy > 0.9 and (params.model = 'rf' or tags.`team name` != "x") and status = 'FINISHED'

A query that does not parse is a ``FilterError`` naming the offending column: never silently ignored.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple

from .. import _query

Lookup = Callable[[str, str], Any]  # (kind, key) -> value, or None when the run has no such key


class FilterError(ValueError):
    pass


class _Keys:
    """One kind's keys (metrics, params or tags) as the query evaluator reads them, through the lookup."""

    def __init__(self, lookup: Lookup, kind: str) -> None:
        self._lookup, self._kind = lookup, kind

    def get(self, key: str, default: Any = None) -> Any:
        v = self._lookup(self._kind, key)
        return default if v is None else v


class _Run:
    """A run record for ``_query.matches`` whose values come from the lookup."""

    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup

    def get(self, name: str, default: Any = None) -> Any:
        if name in ("metrics", "params", "tags"):
            return _Keys(self._lookup, name)
        v = self._lookup("attributes", name)
        return default if v is None else v


def parse(text: Optional[str]) -> Optional[_query.Node]:
    """The parsed filter (None: empty, every run matches)."""
    try:
        return _query.parse(text)
    except _query.QueryError as e:
        raise FilterError(f"filter {text!r}: {e}") from None


def matches(node: Optional[_query.Node], lookup: Lookup) -> bool:
    return _query.matches(node, _Run(lookup))  # type: ignore[arg-type]


def parse_order_by(order_by: Optional[Sequence[str]]) -> List[Tuple[str, str, bool]]:
    """``["metrics.acc DESC", "start_time"]`` -> ``[(kind, key, descending)...]``."""
    try:
        return [(k.kind, k.name, desc) for k, desc in _query.parse_order_by(order_by)]
    except _query.QueryError as e:
        raise FilterError(f"order_by {list(order_by or [])!r}: {e}") from None
