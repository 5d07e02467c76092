"""Phrase matching for text rules, folding case, Chinese script and the spaces beside Chinese.

Service transcripts mix simplified and traditional Chinese (这不是我应该做的 / 這不是我應該做的);
a rule written in one script must catch the other. Folding drops invisible characters (a
zero-width space inside 不知道 hides nothing), reads compatibility forms as what they show
(NFKC: full-width ＯＫ is OK, a decomposed é is é), converts both the phrases and the text to
simplified Chinese with OpenCC's maintained dictionaries, drops whitespace next to a Chinese
character ("您 好" is 您好; "thank you" keeps its space), reads a run of spaces as one
("thank  you" is "thank you"), then case-folds.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal

from csrules._lang import converter, simplified

__all__ = ["Script", "TextMatcher", "blank_phrase", "fold_text", "quoted", "to_script", "to_script_quoting"]

Fold = Literal["none", "case", "zh"]


Script = Literal["simplified", "traditional"]
"""A Chinese script that reviewers' text is written in, one at a time."""

def to_script(text: str, script: Script) -> str:
    """``text`` with every Chinese character in ``script`` (anything else unchanged)."""
    if script == "simplified":
        return simplified(text)
    if script != "traditional":
        raise ValueError(f"script must be simplified or traditional (got {script!r})")
    return text if text.isascii() else converter("s2t")(text)


_QUOTED = re.compile("\ue000([^\ue001]*)\ue001")  # private-use marks around quoted source text


def quoted(text: str) -> str:
    """``text`` marked as quoted from a source, for :func:`to_script_quoting`."""
    return f"\ue000{text}\ue001"


def to_script_quoting(text: str, script: Script | None) -> str:
    """``text`` in ``script`` with its :func:`quoted` spans unmarked (``None``: no conversion).

    The sources are written in traditional script, so a traditional document keeps what it
    quotes exactly as written: converting a quote there would only "correct" the source (its
    什么 into 什麼), and a citation must match the clause it cites. A simplified document
    converts the quotes with the rest, since transliterating into the reader's script is the
    point of choosing it.
    """
    if script is None:
        return _QUOTED.sub(r"\1", text)
    if script == "simplified":
        return to_script(_QUOTED.sub(r"\1", text), script)
    parts = _QUOTED.split(text)  # outside, quoted, outside, ...: convert only the outsides
    return "".join(part if index % 2 else to_script(part, script) for index, part in enumerate(parts))


_SEEN = 256  # texts a matcher remembers its answer for (one matcher per contains condition)
_FOLDED: dict[tuple[str, str], str] = {}
_FOLDED_LIMIT = 4096  # texts remembered (greetings and set phrases repeat; the rest is cleared)


def fold_text(text: str, fold: Fold) -> str:
    """``text`` as matching sees it under ``fold`` (remembered for short texts: sessions
    fold the same greeting on every event)."""
    if fold == "none":
        return text
    if type(text) is not str or len(text) > 64:
        return _fold(text, fold)
    key = (text, fold)
    found = _FOLDED.get(key)
    if found is None:
        found = _fold(text, fold)
        if len(_FOLDED) >= _FOLDED_LIMIT:
            _FOLDED.clear()
        _FOLDED[key] = found
    return found


def blank_phrase(phrase: str, fold: Fold) -> bool:
    """Whether ``phrase`` says nothing once folded (empty, spaces, invisible characters): it would
    be found in every text, or nearly every."""
    return not fold_text(phrase, fold).strip()


# Chinese (and full-width) characters: a space beside one separates no words. Speech-to-text
# and chat transcripts put spaces (also the ideographic U+3000) between them ("您 好", "保 证").
_CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff"
_CJK_SPACE = re.compile(f"(?<=[{_CJK}])\\s+|\\s+(?=[{_CJK}])")
_SPACES = re.compile(r"\s{2,}|[^\S ]")  # a run of spaces, or one tab, newline ... other than a space


# Invisible format characters (zero-width space and joiners, the byte-order mark, the soft
# hyphen, direction marks) that chat clients and copied text put inside words ("不\u200b行").
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def _fold(text: str, fold: Fold) -> str:
    if not text.isascii():
        # spaces beside Chinese and full-width characters go first, as the text shows them (NFKC
        # makes full-width ＯＫ the Latin OK, whose spaces count); spaces between Latin words stay
        text = _CJK_SPACE.sub("", _INVISIBLE.sub("", text))
        text = unicodedata.normalize("NFKC", text)
        if fold == "zh":
            # 妳 (you, to a woman) is 你 in either script; OpenCC keeps it (the polite 您 stays apart)
            text = simplified(text).replace("妳", "你")
    if _SPACES.search(text):
        text = _SPACES.sub(" ", text)  # a run of spaces, a tab or a newline reads as one space
    return text.casefold()


# Quoted speech: the span between a pair of quotation marks, in the Chinese and the Western
# styles, the book-title marks 《》〈〉 among them (Chinese text quotes a named thing with them:
# 您说的《不行》); an unclosed mark quotes nothing. Each mark also in its compatibility forms
# (vertical ﹁, half-width ｢, full-width ＂, the angle bracket U+2329), which only folding
# would make the plain mark: a text matched exactly (fold none) quotes with them too.
# The straight single quote quotes too (the call-centre rules write 沒有'我不能'), but never as an
# apostrophe: not right after a Latin letter or digit, nor closing right before one (don't, it's).
QUOTE_PAIRS = ("「」", "『』", "“”", "‘’", '""', "''", "《》", "〈〉")
"""The quotation marks a ``contains`` with ``skip_quoted`` reads, each pair opening and closing."""
_COMPAT_MARKS = "﹁﹂﹃﹄｢｣＂＇︽︾︿﹀\u2329\u232a"
_LATIN = "A-Za-z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"  # and their full-width forms, before folding


def _forms(mark: str) -> str:
    """``mark`` and every compatibility character NFKC reads as it, escaped for a character class."""
    return re.escape(mark + "".join(c for c in _COMPAT_MARKS if unicodedata.normalize("NFKC", c) == mark))


def _quoting(opens: str, closes: str) -> str:
    """The pattern of one quoted span between ``opens`` and ``closes`` (in any of their forms)."""
    span = f"[{_forms(opens)}][^{_forms(closes)}]*[{_forms(closes)}]"
    return f"(?<![{_LATIN}]){span}(?![{_LATIN}])" if opens == "'" else span


_QUOTATION = re.compile("|".join(_quoting(opens, closes) for opens, closes in map(tuple, QUOTE_PAIRS)))
_CUT = "\x00"  # what a quoted span reads as: no phrase crosses it, and no negation reaches over it


class TextMatcher:
    """Finds the first of several phrases in a text or in any line of a list of texts; a phrase
    inside one of the ``ignore`` phrases does not count there (``但是`` is not found in ``不但是``).

    A phrase right after one of the ``negated_by`` words (``不能`` before ``保证``), or right
    after such a negated phrase (``不能保证一定到``), is negated and does not count, as is one
    right before one of the ``negated_after`` words (``保证`` before ``不了``); with
    ``skip_quoted`` nothing between quotation marks counts (``您说「不行」`` repeats the
    customer's word).

    >>> TextMatcher(("这不是我应该做的",), "zh")("客服：這不是我應該做的")
    True
    >>> TextMatcher(("但是",), "zh", ignore=("不但是",))(["這不但是", "但是不行"])
    True
    >>> TextMatcher(("保证", "一定到"), "zh", negated_by=("不能",))("不能保證一定到")
    False
    """

    __slots__ = ("_after", "_ignored", "_negators", "_pattern", "_seen", "fold", "ignore", "negated_after",
                 "negated_by", "phrases", "skip_quoted")

    def __init__(self, phrases: tuple[str, ...], fold: Fold, ignore: tuple[str, ...] = (), *,
                 negated_by: tuple[str, ...] = (), negated_after: tuple[str, ...] = (),
                 skip_quoted: bool = False) -> None:
        self.phrases = phrases
        self.fold = fold
        self.ignore = ignore
        self.negated_by = negated_by
        self.negated_after = negated_after
        self.skip_quoted = skip_quoted
        self._ignored = frozenset(fold_text(p, fold) for p in ignore)
        self._negators = tuple(sorted({fold_text(p, fold) for p in negated_by}, key=len, reverse=True))
        self._after = tuple(sorted({fold_text(p, fold) for p in negated_after}, key=len, reverse=True))
        # longest first: where an ignored phrase and a phrase start together, the ignored one wins,
        # and scanning goes on after it
        folded = sorted({fold_text(p, fold) for p in phrases} | self._ignored, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(p) for p in folded))
        self._seen: dict[str, bool] = {}  # answers for short texts (greetings repeat), up to _SEEN

    @property
    def refines(self) -> bool:
        """Whether a phrase found may still not count (ignored, negated or quoted): a search
        for the bare phrases must then ask the matcher itself."""
        return bool(self._ignored or self._negators or self._after or self.skip_quoted)

    def __call__(self, value: Any) -> bool:
        if type(value) is not str or len(value) > 64:
            return self.find(value) is not None
        found = self._seen.get(value)
        if found is None:
            found = self.find(value) is not None
            if len(self._seen) >= _SEEN:
                self._seen.clear()
            self._seen[value] = found
        return found

    def find(self, value: Any) -> str | None:
        """The first phrase found (as written in the policy, folded), or None."""
        texts = (value,) if isinstance(value, str) else value
        for text in texts:
            if text is None:  # a missing line (a host's list of optional texts) says nothing
                continue
            folded = fold_text(text, self.fold)
            if self.skip_quoted:
                folded = _QUOTATION.sub(_CUT, folded)
            negated_to = -1  # where the last negated phrase ended
            for match in self._pattern.finditer(folded):
                if match.group(0) in self._ignored:
                    continue
                start = match.start()
                if start == negated_to or (self._negators and folded.endswith(self._negators, 0, start)):
                    negated_to = match.end()
                    continue
                if self._after and folded.startswith(self._after, match.end()):
                    continue
                return match.group(0)
        return None

    def __repr__(self) -> str:
        extra = f", ignore={self.ignore!r}" if self.ignore else ""
        extra += f", negated_by={self.negated_by!r}" if self.negated_by else ""
        extra += f", negated_after={self.negated_after!r}" if self.negated_after else ""
        extra += ", skip_quoted=True" if self.skip_quoted else ""
        return f"TextMatcher({self.phrases!r}, fold={self.fold!r}{extra})"
