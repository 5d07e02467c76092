"""``contains`` per column: each distinct text of the batch folded once, by the row engine's
own folding (:func:`~csrules._policy.text.fold_text`: OpenCC to simplified Chinese, spaces
beside Chinese dropped, then case folding), and searched for the folded phrases natively; each row then asks whether its
text is among those that matched (a dictionary approach: measured as fast as Arrow's,
``benchmarks/bench_columnar.py``).

A phrase is found in a text exactly when the row engine's pattern (the folded phrases joined
as escaped alternatives) finds one, so a literal multi-phrase search gives the same answer; a
list of texts holds when any line does, and an empty list holds for no phrase.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from csrules._audit.col_time import Leaf, Memo, leaf_of
from csrules._policy.kinds.core import Contains, _ContainsHandler
from csrules._policy.text import TextMatcher, fold_text

__all__ = ["text_leaf"]

_HANDLER = _ContainsHandler()


def _folded(facts: pl.DataFrame, path: str, matcher: TextMatcher, phrases: list[str], memo: Memo) -> pl.Expr:
    """Whether each text (or any line of a list of texts) at ``path`` holds a phrase once folded.

    A batch's distinct texts are folded once, whichever leaves and paths search them; each
    leaf then searches the folded texts and marks the rows holding a text that matched."""
    column = pl.col(path)
    listed = isinstance(facts.schema[path], pl.List)
    texts: pl.Series | None = memo.get(("texts", path))
    if texts is None:
        texts = memo[("texts", path)] = facts.select(
            (column.explode() if listed else column).unique().drop_nulls()).to_series()
    known: dict[str, str] = memo.setdefault(("folded", matcher.fold), {})
    listing = texts.to_list()
    known.update((text, fold_text(text, matcher.fold)) for text in listing if text not in known)
    folded = pl.Series([known[text] for text in listing], dtype=pl.String)
    hits = texts if "" in phrases else texts.filter(folded.str.contains_any(phrases))
    if matcher.refines:  # a phrase ignored, negated or quoted does not count: the matcher itself says
        hits = hits.filter(pl.Series([matcher(text) for text in hits.to_list()], dtype=pl.Boolean))
    found = hits.implode()
    if listed:
        return column.list.eval(pl.element().is_in(found)).list.any()
    return column.is_in(found)


def text_leaf(node: Any, params: dict[str, Any], columns: set[str]) -> Leaf | None:
    """``contains`` as a :class:`~csrules._audit.col_time.Leaf` (None: another kind, or a
    path without a typed column)."""
    if not isinstance(node, Contains) or node.path not in columns:
        return None
    matcher = _HANDLER.matcher(node, params)
    phrases = sorted({fold_text(phrase, matcher.fold) for phrase in matcher.phrases})

    def compute(facts: pl.DataFrame, memo: Memo) -> pl.Series | None:
        if facts.schema[node.path] not in (pl.String, pl.List(pl.String)):
            return None
        answer = _folded(facts, node.path, matcher, phrases, memo)
        return facts.select(answer.fill_null(False).alias("answer")).to_series()

    return leaf_of(node, params, compute)
