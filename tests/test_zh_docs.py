"""Chinese documents: one script at a time, and no English left in them.

The rule for Latin letters in a Chinese-only document: they appear only in identifiers
(ids and codes of packs, policies, rules, roles, duties, sources, lifecycles, deadlines and
service-level targets; fact types; field and parameter names; the values a field can take;
calendar names; source file names; content hashes; ISO dates and times), in the worked examples' facts,
which are data set as code, and where the pack's own Chinese text has them (``ERP`` in a
duty copied from the source). Everything else (effect kinds, hit policies, parameter types
and units, lifecycle states and events, recurrences, approval matters) is in Chinese.
"""

from __future__ import annotations

import re
import typing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from csrules._cli.cli import main
from csrules._docs import render_docs, script_for, subject_from_pack
from csrules._docs.words import recurrence_words
from csrules._policy.facts import get_fact_type
from csrules._policy.text import to_script
from csrules._sessions.lifecycle import Lifecycle
from csrules._time.duties import Recurrence
from csrules.domain import complaint_lifecycle
from csrules.exceptions import PolicyError
from csrules.policies import load_pack

PACKS = ("call_centre", "ecommerce", "mall", "online_support")
DATE = date(2026, 12, 4)
_ID_KEYS = frozenset({
    "id", "code", "role", "to", "who", "owner", "policy", "rule", "source", "file", "fact_type",
    "start", "stop", "pauses", "sets", "matter", "reports_to", "regulation", "path", "since",
    "key", "at", "field", "param", "replaces", "aliases", "unit", "calendar",
})
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _fields(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every field path of ``model`` and every value its ``Literal`` fields take."""
    found: set[str] = set()
    fields = {**model.model_fields, **model.model_computed_fields}
    for name, info in fields.items():
        found.add(prefix + name)
        stack = [getattr(info, "annotation", None) or getattr(info, "return_type", None)]
        while stack:
            kind = stack.pop()
            if typing.get_origin(kind) is typing.Literal:
                found.update(str(v) for v in typing.get_args(kind))
            elif isinstance(kind, type) and issubclass(kind, BaseModel):
                found |= _fields(kind, f"{prefix}{name}.")
            else:
                stack.extend(typing.get_args(kind))
    return found


def _walk(data: Any, found: set[str], chinese: list[str]) -> None:
    """Collect the identifiers (values under id-like keys, parameter names) and Chinese texts."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "params" and isinstance(value, dict):
                found.update(value)
            if key in _ID_KEYS:
                found.update(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str))
            if key in ("zh", "quote") and isinstance(value, str):
                chinese.append(value)
            _walk(value, found, chinese)
    elif isinstance(data, list | tuple):
        for value in data:
            _walk(value, found, chinese)


def allowed(name: str) -> set[str]:
    """The Latin tokens a Chinese document of pack ``name`` may hold (see the module docstring)."""
    pack = load_pack(name)
    found: set[str] = {name}
    chinese: list[str] = []
    policies = [*pack.policies, *pack.session_policies]
    for policy in policies:
        _walk(policy.model_dump(mode="json"), found, chinese)
        found |= _fields(get_fact_type(policy.fact_type))
    _walk([role.model_dump(mode="json") for role in pack.roles.roles], found, chinese)
    _walk([{"id": duty.id, **duty.duty.model_dump(mode="json")} for duty in pack.duties], found, chinese)
    _walk([sla.declaration.model_dump(mode="json") for sla in pack.slas], found, chinese)
    for lifecycle in pack.lifecycles:
        found |= {lifecycle.id, lifecycle.fact_type, *(d.id for d in lifecycle.deadlines),
                  *(d.breach.code for d in lifecycle.deadlines)}
        found |= _fields(get_fact_type(lifecycle.fact_type))
    found.update(token for text in chinese for token in _LATIN.findall(text))
    return {token for ident in found for token in _LATIN.findall(ident)}


def prose(text: str, *, html: bool) -> str:
    """The document's text without markup, code, dates and hashes."""
    if html:
        text = re.sub(r"<style>.*?</style>|<code>.*?</code>", " ", text, flags=re.S)
        text = re.sub(r"<[^>]+>|&[a-z]+;|&#\d+;", " ", text)
    else:
        text = re.sub(r"^```(mermaid)?$|^flowchart \w+$|^stateDiagram-v2$", " ", text, flags=re.M)
        text = re.sub(r"\b(n_\w+|s\d+|start)\b|\[\*\]", " ", text)  # Mermaid node ids
        text = re.sub(r"``.*?``|`[^`]*`|<br/?>|\]\([^)]*\)", " ", text)
        text = text.replace("\\", "")
    text = re.sub(r"\d{4}-\d\d-\d\d(T[\d:.]+([+-][\d:]+|Z)?)?", " ", text)
    return re.sub(r"\b[0-9a-f]{16}\b", " ", text)


@pytest.fixture(scope="module")
def documents() -> dict[tuple[str, str], Any]:
    """Each pack's Chinese-only documents, in each script."""
    return {(name, script): render_docs(subject_from_pack(load_pack(name)), ("zh",), DATE, script)
            for name in PACKS for script in ("simplified", "traditional")}


class TestNoEnglish:
    """A Chinese-only document holds no English beyond identifiers and data."""

    @pytest.mark.parametrize("name", PACKS)
    @pytest.mark.parametrize("fmt", ["markdown", "html"])
    def test_latin_only_in_identifiers(self, documents, name, fmt):
        """Every Latin token left is an identifier of the pack or its own Chinese text."""
        text = prose(getattr(documents[name, "simplified"], fmt), html=fmt == "html")
        stray = sorted(set(_LATIN.findall(text)) - allowed(name))
        assert stray == []

    def test_lifecycle_states_and_events_in_chinese(self, documents):
        """The complaint flow's transition table names states and events in Chinese."""
        text = documents["call_centre", "simplified"].markdown
        assert "| 投诉受理 | 投诉判断 | 投诉成立等于是 | 投诉成立 |" in text
        assert ("进入“投诉受理”后3天内，业务代表须答复客户处理结果"
                "（达到：投诉不成立、已答复客户、已处理、已归档；否则 CMP-4）") in text

    def test_effects_recurrences_and_parameters_in_chinese(self, documents):
        """Expected effects, duty recurrences, hit policies and parameter types read in Chinese."""
        text = documents["call_centre", "simplified"].markdown
        assert "审批：客服部主任" in text
        assert "业务代表会议每月25日前周五召开（每月25日前的周五）" in text
        assert "| 全部适用 |" in text
        assert "| max_late_minutes | 整数（分钟） | 20 |" in text


class TestOneScript:
    """A document's Chinese is in one script: converting it to that script changes nothing."""

    @pytest.mark.parametrize("name", PACKS)
    @pytest.mark.parametrize("script", ["simplified", "traditional"])
    def test_converting_changes_nothing(self, documents, name, script):
        """Markdown and HTML are already in the chosen script, whatever the sources mixed (a
        traditional document keeps quotes and worked-example data as written: left out here)."""
        rendered = documents[name, script]
        for text in (rendered.markdown, rendered.html):
            if script == "traditional":
                text = re.sub(r"`[^`]*`|<code>.*?</code>|<p [^>]*class=\"quote\">.*?</p>", "", text)
                text = re.sub(r"<br>“.*?” \|", "", text)  # a quote in a Markdown table cell
            assert to_script(text, script) == text

    def test_scripts_differ_and_mark_the_page(self, documents):
        """The sources' traditional 請假 reads 请假 in simplified; the page says its script."""
        simplified, traditional = documents["call_centre", "simplified"], documents["call_centre", "traditional"]
        assert "请假制度" in simplified.markdown
        assert "請假制度" not in simplified.markdown
        assert "請假制度" in traditional.markdown
        assert '<html lang="zh-Hans">' in simplified.html
        assert '<html lang="zh-Hant">' in traditional.html

    def test_simplified_is_the_default_for_chinese(self, documents):
        """Without a script, a Chinese document is simplified; an English one has none."""
        subject = subject_from_pack(load_pack("mall"))
        assert render_docs(subject, ("zh",), DATE) == documents["mall", "simplified"]
        assert script_for(("en",)) is None
        assert script_for(("en", "zh")) == "simplified"
        with pytest.raises(ValueError, match="--script must be simplified or traditional"):
            script_for(("zh",), "cantonese")

    def test_cli_script_option(self, tmp_path, capsys):
        """``csrules docs --lang zh --script traditional`` writes traditional documents."""
        assert main(["docs", "mall", "--lang", "zh", "--script", "traditional", "--date", "2026-12-04",
                     "-o", str(tmp_path)]) == 0
        text = (tmp_path / "mall.md").read_text(encoding="utf-8")
        assert to_script(text, "traditional") == text
        assert "文明用語" in text


class TestWords:
    """The Chinese words documents use for recurrences and lifecycle labels."""

    @pytest.mark.parametrize(("phrase", "words"), [
        ("every shift", "每班"),
        ("daily", "每天"),
        ("weekly on Monday", "每周一"),
        ("monthly on the Friday before the 25th", "每月25日前的周五"),
        ("monthly by the 22nd", "每月22日"),
        ("monthly on the last day", "每月最后一天"),
        ("half-yearly", "每年1月1日、7月1日"),
        ("yearly on December 31", "每年12月31日"),
    ])
    def test_recurrences(self, phrase, words):
        """Each recurrence the packs use reads in Chinese."""
        assert recurrence_words(Recurrence.parse(phrase)) == words

    def test_labels_name_known_states_and_events(self):
        """A label for a state or event the lifecycle does not have is refused, named."""
        data = complaint_lifecycle().to_dict()
        data["labels"]["teleported"] = {"en": "Teleported", "zh": "瞬移"}
        with pytest.raises(PolicyError, match="labels name no state or event: teleported"):
            Lifecycle(**data)


def _pairs(data: Any) -> list[tuple[str, str]]:
    """Every bilingual text (en, zh) in a pack file's data."""
    if isinstance(data, dict):
        found = [(data["en"], data["zh"])] if isinstance(data.get("en"), str) and "zh" in data else []
        return found + [pair for value in data.values() for pair in _pairs(value)]
    if isinstance(data, list):
        return [pair for value in data for pair in _pairs(value)]
    return []


class TestEnglishMatchesChinese:
    """The packs' English texts say what their Chinese (the source) says."""

    def test_always_on_the_lips(self):
        """不離口 (never off the lips: always said) is never rendered as words never to be said."""
        import yaml

        from csrules import policies

        root = Path(policies.__file__).parent
        pairs = [pair for path in sorted(root.rglob("*.yaml"))
                 for pair in _pairs(yaml.safe_load(path.read_text(encoding="utf-8")))]
        always = [(en, zh) for en, zh in pairs if "不離口" in zh]
        assert len(always) == 5  # mall and ecommerce CON-4 (title, parameter), online_support CON-4.courtesy
        assert [en for en, _ in always if "always" not in en or "never" in en] == []


class TestDiffScript:
    """``csrules diff --script`` writes the change document in the chosen script."""

    def test_diff_in_traditional(self, capsys):
        """A pack against itself: no difference, and the Chinese in traditional characters."""
        assert main(["diff", "mall", "mall", "--lang", "zh", "--script", "traditional",
                     "--date", "2026-12-04"]) == 0
        out = capsys.readouterr().out
        assert any("\u4e00" <= ch <= "\u9fff" for ch in out)
        assert to_script(out, "traditional") == out


class TestPhraseLists:
    """A phrase-list parameter shows its phrases, unquoted, in each language."""

    def test_in_force_column(self, documents):
        """请、谢 in Chinese; 請, 謝 in English (the source's script kept there)."""
        assert "| courtesy_phrases | 文本列表 | 请、谢 | — | 请、谢 |" in documents["mall", "simplified"].markdown
        english = render_docs(subject_from_pack(load_pack("mall")), ("en",), DATE).markdown
        assert "| courtesy_phrases | str_list | 請, 謝 | — | 請, 謝 |" in english
