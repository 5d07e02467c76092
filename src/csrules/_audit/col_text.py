"""``contains`` per column: each distinct text of the batch folded once, by the row engine's
own folding (:func:`~csrules._policy.text.fold_text`: OpenCC to simplified Chinese, then
case folding), and searched for the folded phrases natively; each row looks its text's
answer up (a dictionary approach: measured as fast as Arrow's, ``benchmarks/bench_columnar.py``).

A phrase is found in a text exactly when the row engine's pattern (the folded phrases joined
as escaped alternatives) finds one, so a literal multi-phrase search gives the same answer; a
list of texts holds when any line does, and an empty list holds for no phrase.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from csrules._audit.col_time import Leaf, leaf_of
from csrules._policy.kinds.core import Contains, _ContainsHandler
from csrules._policy.text import fold_text

__all__ = ["text_leaf"]

_HANDLER = _ContainsHandler()


def _folded(facts: pl.DataFrame, path: str, fold: Any, phrases: list[str]) -> pl.Expr:
    """Whether each text (or any line of a list of texts) at ``path`` holds a phrase once folded."""
    column = pl.col(path)
    listed = isinstance(facts.schema[path], pl.List)
    texts = facts.select((column.explode() if listed else column).unique().drop_nulls()).to_series()
    folded = pl.Series([fold_text(text, fold) for text in texts.to_list()], dtype=pl.String)
    hits = pl.Series([True] * len(folded)) if "" in phrases else folded.str.contains_any(phrases)
    element = pl.element() if listed else column
    hit = element.replace_strict(texts, hits, default=None, return_dtype=pl.Boolean)
    return column.list.eval(hit).list.any() if listed else hit


def text_leaf(node: Any, params: dict[str, Any], columns: set[str]) -> Leaf | None:
    """``contains`` as a :class:`~csrules._audit.col_time.Leaf` (None: another kind, or a
    path without a typed column)."""
    if not isinstance(node, Contains) or node.path not in columns:
        return None
    matcher = _HANDLER.matcher(node, params)
    phrases = sorted({fold_text(phrase, matcher.fold) for phrase in matcher.phrases})

    def compute(facts: pl.DataFrame) -> pl.Series | None:
        if facts.schema[node.path] not in (pl.String, pl.List(pl.String)):
            return None
        answer = _folded(facts, node.path, matcher.fold, phrases)
        return facts.select(answer.fill_null(False).alias("answer")).to_series()

    return leaf_of(node, params, compute)
