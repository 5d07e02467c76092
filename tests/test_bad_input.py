"""Bad policy and fact input: each class gets a clear csrules error, never a crash or a silent accept.

Every test states one class of fault a campaign found (or probed) and checks both the Python API
(``load_policy``, ``Policy(...)``, ``Engine(...)``) and, where a file is involved, the command line
(``csrules check`` / ``csrules eval``: exit status 2 or a finding, one line, no traceback).
"""

from __future__ import annotations

import copy
import io
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import csrules
from csrules import DurationError, Engine, FactError, PolicyError, load_policy, loads_policy, parse_duration
from csrules._cli import _input, cli
from csrules._policy.kinds.base import MAX_CONDITION_DEPTH
from csrules._sessions import SessionEngine, available_backends
from csrules._time.durations import MAX_DURATION
from tests import core_models

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=CST)

BASE: dict[str, Any] = {
    "id": "p",
    "version": "1",
    "title": "t",
    "fact_type": "core_leave",
    "params": {
        "lim": {"type": "float", "default": 1, "min": 0, "max": 10},
        "notice": {"type": "duration", "default": "1d"},
        "start": {"type": "time", "default": "09:00"},
    },
    "sources": [{"id": "s", "title": "S"}],
    "rules": [
        {
            "id": "r",
            "title": "r",
            "when": {"kind": "compare", "path": "days", "op": ">", "param": "lim"},
            "then": [{"type": "violation", "code": "X", "message": "over {lim}"}],
        }
    ],
}
FACT = {
    "kind": "personal",
    "requested_at": "2026-01-05T08:00:00+08:00",
    "starts_at": "2026-01-05T16:00:00+08:00",
    "days": 2,
}


def changed(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A copy of BASE with the item at ``path`` replaced by ``value``."""
    data = copy.deepcopy(BASE)
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


def refused(data: dict[str, Any]) -> PolicyError:
    """The PolicyError building a policy from ``data`` raises."""
    with pytest.raises(PolicyError) as caught:
        csrules.Policy(**data)
    return caught.value


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    """Write ``content`` (text as UTF-8) to ``tmp_path/name``."""
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command line in-process; exit status, stdout, stderr."""
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str, command: str) -> str:
    """The single error line of ``err`` (asserting there is no traceback)."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"csrules {command}: error: ")
    return lines[0]


def stdin_bytes(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    """Make stdin a text stream over ``data`` with the usual binary ``buffer`` below it."""
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def good_policy(tmp_path: Path) -> Path:
    """BASE as a JSON policy file."""
    return write(tmp_path, "p.json", json.dumps(BASE))


class TestJsonDuplicateKeys:
    def test_top_level_key_twice_names_both_positions(self):
        """A JSON policy giving "rules" twice is refused with the key and both line:col positions."""
        text = '{"id": "p",\n "rules": [],\n  "rules": []}'
        with pytest.raises(PolicyError) as caught:
            loads_policy(text, fmt="json", name="p.json")
        message = str(caught.value)
        assert "duplicate key 'rules'" in message
        assert "3:3" in message
        assert "2:2" in message
        assert caught.value.file == "p.json"
        assert caught.value.line == 3

    def test_nested_key_twice(self, tmp_path):
        """An "op" given twice inside a condition is refused, not last-one-wins."""
        text = json.dumps(BASE).replace('"op": ">"', '"op": ">", "op": "<"')
        path = write(tmp_path, "p.json", text)
        with pytest.raises(PolicyError, match="duplicate key 'op'"):
            load_policy(path)

    def test_cli_check_and_eval(self, capsys, tmp_path):
        """csrules check reports the duplicate as a finding; eval exits 2 with one line."""
        path = write(tmp_path, "p.json", '{"id": "p", "id": "q"}')
        code, out, _ = run(capsys, "check", str(path))
        assert code == 1
        assert "duplicate key 'id'" in out
        code, _, err = run(capsys, "eval", str(path), str(path))
        assert code == 2
        assert "duplicate key 'id'" in one_line_error(err, "eval")


class TestNonFiniteNumbers:
    @pytest.mark.parametrize(
        ("path", "value"),
        [
            (("params", "lim", "default"), float("nan")),
            (("params", "lim", "default"), float("inf")),
            (("params", "lim", "min"), float("nan")),
            (("overrides",), {"lim": float("nan")}),
            (("rules", 0, "when"), {"kind": "compare", "path": "days", "op": ">", "value": float("nan")}),
            (("rules", 0, "when"), {"kind": "in", "path": "days", "value": [1.0, float("-inf")]}),
        ],
    )
    def test_refused_in_policies(self, path, value):
        """NaN or infinity anywhere in a policy (default, bound, override, literal) is refused there."""
        error = refused(changed(path, value))
        assert "finite" in str(error)
        assert error.loc[: len(path)] == path

    def test_nan_bound_in_yaml(self):
        """``min: .nan`` no longer disables the bound: the file is refused with its line."""
        text = json.dumps(changed(("params", "lim", "min"), 0)).replace('"min": 0', '"min": .nan')
        with pytest.raises(PolicyError, match="finite") as caught:
            loads_policy(text, name="p.yaml")
        assert caught.value.line == 1

    def test_with_params(self):
        """``with_params(lim=nan)`` is refused naming the override."""
        with pytest.raises(PolicyError, match="finite") as caught:
            csrules.Policy(**BASE).with_params(lim=float("nan"))
        assert caught.value.loc == ("overrides", "lim")

    def test_standalone_parameter(self):
        """A Parameter built alone refuses a non-finite default too."""
        with pytest.raises(PolicyError, match="finite"):
            csrules.Parameter(type="float", default=float("inf"))

    def test_facts_are_refused_unless_the_model_allows_them(self):
        """A registered model that says nothing of NaN refuses it (a NaN would fail every comparison
        silently); a model that allows it, as its host chose, is judged."""
        engine = Engine([csrules.Policy(**BASE)])
        with pytest.raises(FactError, match="days") as caught:
            engine.evaluate({**FACT, "days": float("nan")})
        assert "finite" in str(caught.value)
        at = datetime(2026, 3, 1, tzinfo=UTC)
        thing = {"n": 1, "x": float("nan"), "kind": "a", "flag": True, "text": "t", "at": at}
        policy = csrules.Policy(id="p", version="1", title="t", fact_type="core_thing", rules=[
            {"id": "r", "title": "t", "when": {"kind": "compare", "path": "x", "op": ">", "value": 1},
             "then": [{"type": "recommendation", "text": "x"}]}])
        assert Engine(policy).evaluate(thing).effects == ()


class TestTextPlaceholders:
    @pytest.mark.parametrize(
        "message",
        ["{lim:>50000000}", "{lim:{lim}}", "{lim:d}", "{lim!x}", "{lim!r}", "{lim.real}", "{lim[0]}", "{}", "{0}"],
    )
    def test_only_plain_names_load(self, message):
        """Format specs, conversions, attributes, indexes and positional fields are refused at load."""
        error = refused(changed(("rules", 0, "then", 0, "message"), message))
        assert "not a placeholder" in str(error)
        assert error.rule_id == "r"
        assert error.loc == ("rules", 0, "then", 0, "message")

    def test_cli_check_reports_a_format_spec(self, capsys, tmp_path):
        """``csrules check`` reports ``{lim:d}`` as invalid instead of passing it to Engine()."""
        path = write(tmp_path, "p.json", json.dumps(changed(("rules", 0, "then", 0, "message"), "{lim:d}")))
        code, out, _ = run(capsys, "check", str(path))
        assert code == 1
        assert "[invalid]" in out
        assert "not a placeholder" in out

    @pytest.mark.parametrize(("message", "shown"), [("{{lim}}", "{lim}"), ("{{lim}} is {lim}", "{lim} is 1")])
    def test_doubled_braces_are_literal_braces_always(self, message, shown):
        """``{{``/``}}`` render as one brace whether or not the text also quotes a parameter."""
        policy = csrules.Policy(**changed(("rules", 0, "then", 0, "message"), message))
        (effect,) = Engine([policy]).evaluate(FACT).effects
        assert effect.message.en == shown


class TestParameterNames:
    @pytest.mark.parametrize("name", ["0", "a.b", "a[0]", "", "a b", "é", "1st"])
    def test_non_identifiers_are_refused(self, name):
        """A parameter name that is not an ASCII identifier is refused, quoting it."""
        data = changed(("params",), {name: {"type": "int", "default": 1}})
        data["rules"][0]["then"][0]["message"] = "over"
        error = refused(data)
        assert f"parameter name {name!r}" in str(error)

    def test_identifiers_load(self):
        """Identifier-like names, with underscores, still load."""
        data = changed(("params",), {"_x": {"type": "float", "default": 1}, "max_2": {"type": "int", "default": 1}})
        data["rules"][0]["when"]["param"] = "_x"
        data["rules"][0]["then"][0]["message"] = "over {_x} {max_2}"
        assert Engine([csrules.Policy(**data)]).evaluate(FACT).effects[0].message.en == "over 1 1"

    def test_cli_check(self, capsys, tmp_path):
        """``csrules check`` reports a dotted parameter name at its line."""
        data = changed(("params",), {"a.b": {"type": "int", "default": 1}})
        data["rules"][0]["then"][0]["message"] = "over"
        path = write(tmp_path, "p.json", json.dumps(data, indent=1))
        code, out, _ = run(capsys, "check", str(path))
        assert code == 1
        assert "parameter name 'a.b'" in out


class TestControlCharacters:
    @pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\ufffe"])
    def test_raw_in_a_yaml_policy(self, tmp_path, char):
        """A control character in a YAML policy file is a PolicyError with file, line and column."""
        path = write(tmp_path, "p.yaml", f"id: p\ntitle: a{char}b\n")
        with pytest.raises(PolicyError, match="unacceptable character") as caught:
            load_policy(path)
        assert caught.value.file == str(path)
        assert caught.value.line == 2
        assert "2:9" in str(caught.value)

    def test_escaped_in_a_policy_string(self):
        """An escape sequence producing a control character (YAML ``"\\e"``) is refused too."""
        with pytest.raises(PolicyError, match=r"control character U\+001B"):
            loads_policy(json.dumps(BASE).replace('"title": "t"', '"title": "\\u001b[31mt"'), fmt="json")

    def test_cli_check_policy(self, capsys, tmp_path):
        """``csrules check`` reports the character as a syntax finding, no traceback."""
        path = write(tmp_path, "p.yaml", "id: p\x07\n")
        code, out, err = run(capsys, "check", str(path))
        assert code == 1
        assert "[syntax] unacceptable character U+0007" in out
        assert not err

    def test_yaml_fact_file(self, capsys, tmp_path):
        """A YAML fact file with a control character is a bad fact located by file and line."""
        facts = write(tmp_path, "facts.yaml", "kind: personal\ndays: 2\x07\n")
        code, _, err = run(capsys, "eval", str(good_policy(tmp_path)), str(facts))
        assert code == 2
        assert f"{facts}:2" in one_line_error(err, "eval")

    @pytest.mark.parametrize("data", ["{}".encode("utf-16"), b"\x7fELF\x02\x01\x01\x00\xff\xfe\xfd"])
    def test_binary_or_utf16_on_stdin(self, capsys, monkeypatch, tmp_path, data):
        """UTF-16 or binary bytes on stdin are 'not UTF-8 text' with the byte offset."""
        stdin_bytes(monkeypatch, data)
        code, _, err = run(capsys, "eval", str(good_policy(tmp_path)))
        line = one_line_error(err, "eval")
        assert code == 2
        assert "<stdin>:1: not UTF-8 text" in line
        assert "at offset" in line

    def test_non_utf8_fact_file(self, capsys, tmp_path):
        """A fact file that stops being UTF-8 on line 2 is reported at line 2."""
        facts = write(tmp_path, "facts.jsonl", json.dumps(FACT).encode() + b"\n\xff\n")
        code, _, err = run(capsys, "eval", str(good_policy(tmp_path)), str(facts))
        assert code == 2
        assert f"{facts}:2: not UTF-8 text" in one_line_error(err, "eval")

    def test_non_utf8_policy_file(self, tmp_path):
        """A policy file that is not UTF-8 names the line and the byte offset."""
        path = write(tmp_path, "p.yaml", b"id: p\ntitle: \xff\n")
        with pytest.raises(PolicyError, match=r"not UTF-8 text \(byte 0xff at offset 13\)") as caught:
            load_policy(path)
        assert caught.value.line == 2


def chain(depth: int, leaf: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A condition ``depth`` levels deep (not/all/any in turn around ``leaf``); True when negated."""
    cond, negated = leaf, False
    for level in range(depth - 1):
        kind = ("not", "all", "any")[level % 3]
        if kind == "not":
            cond, negated = {"kind": "not", "condition": cond}, not negated
        else:
            cond = {"kind": kind, "of": [cond]}
    return cond, negated


# The leaf with the most guards: a nested optional field compared with another field.
DEEP_LEAF = {"kind": "compare", "path": "sub.m", "op": ">", "field": "n"}
THING = {"n": 1, "kind": "a", "flag": True, "text": "t", "at": NOW.isoformat(), "sub": {"m": 2}}


def deep_policy(depth: int) -> tuple[dict[str, Any], bool]:
    """A core_thing policy whose one rule nests ``depth`` levels deep."""
    when, negated = chain(depth, DEEP_LEAF)
    rule = {"id": "deep-rule", "title": "d", "when": when, "then": [{"type": "approval", "role": "x"}]}
    return {"id": "deep", "version": "1", "title": "d", "fact_type": "core_thing", "rules": [rule]}, negated


class TestConditionDepth:
    def test_at_the_limit_compiles_and_agrees_with_the_trace(self):
        """A rule exactly MAX_CONDITION_DEPTH deep compiles, and the compiled engine and the trace agree."""
        data, negated = deep_policy(MAX_CONDITION_DEPTH)
        engine = Engine([csrules.Policy(**data)])
        decision = engine.evaluate(THING, now=NOW)
        expected = not negated  # the leaf holds: sub.m 2 > n 1
        assert bool(decision.effects) is expected
        (rule,) = decision.trace.rules
        assert rule.matched is expected
        assert rule.condition.result is expected

    def test_generated_code_stays_far_from_the_parser_limit(self):
        """Each level costs one pair of parentheses: at the limit the source nests well under 200."""
        data, _ = deep_policy(MAX_CONDITION_DEPTH)
        source = Engine([csrules.Policy(**data)]).source("core_thing")
        depth = deepest = 0
        for char in source:
            depth += (char in "([{") - (char in ")]}")
            deepest = max(deepest, depth)
        assert MAX_CONDITION_DEPTH <= deepest <= MAX_CONDITION_DEPTH + 8

    @pytest.mark.parametrize("backend", available_backends())
    def test_at_the_limit_in_sessions(self, backend):
        """The session program compiler (every backend) handles a rule at the limit."""
        data, negated = deep_policy(MAX_CONDITION_DEPTH)
        session = SessionEngine([csrules.Policy(**data)], backend=backend).session("a")
        result = session.send(core_models.Thing(**THING), now=NOW)
        assert bool(result.effects) is not negated

    @pytest.mark.parametrize("depth", [MAX_CONDITION_DEPTH + 1, 199, 254])
    def test_over_the_limit_is_refused_with_the_rule(self, depth):
        """One level over the limit (and the depths that used to crash compile) is refused naming the rule."""
        data, _ = deep_policy(depth)
        error = refused(data)
        assert error.rule_id == "deep-rule"
        assert "limit of 64" in str(error)

    def test_over_the_limit_built_in_python(self):
        """Python-built conditions are measured by the Policy model too."""
        cond: Any = csrules.IsSet(path="certificate")
        for _ in range(MAX_CONDITION_DEPTH):
            cond = csrules.Not(condition=cond)
        rule = csrules.Rule(id="py", title="p", when=cond, then=[csrules.Approve(role="x")])
        with pytest.raises(PolicyError, match="limit of 64") as caught:
            csrules.Policy(id="p", version="1", title="t", fact_type="core_leave", rules=[rule])
        assert caught.value.rule_id == "py"

    @pytest.mark.parametrize("depth", [100, 200])
    def test_over_the_limit_in_a_file(self, tmp_path, depth):
        """From a file, the refusal carries the file and the rule (and the line, within YAML's depth)."""
        data, _ = deep_policy(depth)
        text = json.dumps(data, indent=1)
        path = write(tmp_path, "deep.json", text)
        with pytest.raises(PolicyError, match="limit of 64") as caught:
            load_policy(path)
        assert caught.value.rule_id == "deep-rule"
        assert caught.value.file == str(path)
        when_line = next(n for n, line in enumerate(text.splitlines(), 1) if '"when"' in line)
        assert depth > 100 or caught.value.line == when_line

    def test_lifecycle_guard_over_the_limit(self):
        """A lifecycle guard deeper than the limit is refused like a rule's condition."""
        from csrules.domain import complaint_lifecycle

        data = complaint_lifecycle().model_dump(mode="json", by_alias=True, exclude_none=True)
        data["transitions"][1]["guard"], _ = chain(MAX_CONDITION_DEPTH + 1, data["transitions"][1]["guard"])
        with pytest.raises(PolicyError, match="limit of 64"):
            type(complaint_lifecycle())(**data)


DEEP_JSON = "[" * 100_000 + "]" * 100_000


class TestDeepJson:
    @pytest.mark.parametrize(("name", "flags"), [("facts.json", []), ("facts.jsonl", []), ("-", [])])
    def test_eval_input(self, capsys, monkeypatch, tmp_path, name, flags):
        """100,000-deep arrays in eval input (file or sniffed stdin) are a located bad fact."""
        if name == "-":
            stdin_bytes(monkeypatch, DEEP_JSON.encode())
            source = "<stdin>"
        else:
            source = str(write(tmp_path, name, DEEP_JSON))
        code, _, err = run(capsys, "eval", str(good_policy(tmp_path)), source if name != "-" else "-", *flags)
        assert code == 2
        assert "nested too deep" in one_line_error(err, "eval")

    def test_policy_file(self, capsys, tmp_path):
        """A deep JSON policy is a PolicyError (API) and a syntax finding (check)."""
        path = write(tmp_path, "p.json", '{"id": "p", "rules": ' + DEEP_JSON + "}")
        with pytest.raises(PolicyError, match="nested more than"):
            load_policy(path)
        code, out, _ = run(capsys, "check", str(path))
        assert code == 1
        assert "nested more than" in out


class TestDurationLimits:
    @pytest.mark.parametrize("text", ["99999999999999999999d", "P99999999999999999999D", "1" + "0" * 400 + "s"])
    def test_overflow_is_a_duration_error(self, text):
        """A duration too large for date arithmetic is a DurationError naming the value and limit."""
        with pytest.raises(DurationError, match="longer than the limit of 36500 days"):
            parse_duration(text)

    def test_limit_is_inclusive(self):
        """The limit itself is accepted; one day more is not."""
        assert parse_duration("36500d") == csrules.WallDuration(MAX_DURATION)
        with pytest.raises(DurationError, match="'36501d'"):
            parse_duration("36501d")
        with pytest.raises(DurationError):
            parse_duration("36501 business days")

    def test_parameter_default(self):
        """A duration parameter default past the limit is a PolicyError at the parameter."""
        error = refused(changed(("params", "notice", "default"), "99999999999999999999d"))
        assert error.loc[:2] == ("params", "notice")
        assert "99999999999999999999d" in str(error)

    def test_cli_check_has_no_traceback(self, capsys, tmp_path):
        """``csrules check`` reports the overlong default as a finding, not a traceback."""
        data = changed(("params", "notice", "default"), "99999999999999999999d")
        path = write(tmp_path, "p.json", json.dumps(data))
        code, out, err = run(capsys, "check", str(path))
        assert code == 1
        assert "limit of 36500 days" in out
        assert not err


class TestRecordSize:
    @pytest.mark.parametrize("name", ["big.json", "big.jsonl"])
    def test_valid_record_over_the_limit(self, capsys, tmp_path, name):
        """A valid 6 MB record is 'too large (limit N)', not 'invalid JSON: Unterminated string'."""
        facts = write(tmp_path, name, json.dumps({**FACT, "pad": "a" * 6_000_000}) + "\n")
        code, _, err = run(capsys, "eval", str(good_policy(tmp_path)), str(facts))
        line = one_line_error(err, "eval")
        assert code == 2
        assert f"too large (limit {_input.MAX_RECORD_CHARS:,} characters)" in line

    def test_syntax_error_is_still_reported_as_such(self, capsys, tmp_path):
        """A broken record before lots of input is an invalid JSON error, not a size error."""
        facts = write(tmp_path, "f.json", '{"kind": }\n' + json.dumps(FACT) * 100_000)
        code, _, err = run(capsys, "eval", str(good_policy(tmp_path)), str(facts))
        assert code == 2
        assert "invalid JSON: Expecting value" in one_line_error(err, "eval")


class TestOddValues:
    @pytest.mark.parametrize(
        ("path", "value", "says"),
        [
            (("version",), "", "at least 1 character"),
            (("title",), "", "at least 1 character"),
            (("rules", 0, "then", 0, "code"), "", "at least 1 character"),
            (("rules", 0, "then", 0, "message"), "", "at least 1 character"),
            (("rules", 0, "priority"), True, "valid integer"),
            (("rules", 0, "priority"), "2", "valid integer"),
            (("rules", 0, "priority"), 10**400, "within"),
            (("params", "lim", "default"), 10**400, "within"),
            (("rules", 0, "when"), {"kind": "compare", "path": "days", "op": ">", "value": 10**30}, "within"),
            (("params", "start", "default"), 900, "a time such as"),
            (("sources",), [{"id": "s", "title": "S"}, {"id": "s", "title": "T"}], "duplicate source id"),
        ],
    )
    def test_refused(self, path, value, says):
        """Empty ids and texts, bools or strings as numbers, huge numbers, numeric times, repeated sources."""
        assert says in str(refused(changed(path, value)))

    def test_with_params_huge_int(self):
        """``with_params`` refuses a whole number beyond 64 bits."""
        data = changed(("params", "lim"), {"type": "int", "default": 1})
        with pytest.raises(PolicyError, match="within"):
            csrules.Policy(**data).with_params(lim=10**400)

    def test_yaml_clock_time_stays_text(self):
        """``default: 12:30`` is the time 12:30, not YAML 1.1's base-60 number 750."""
        text = json.dumps(changed(("params", "start", "default"), "X")).replace('"X"', "12:30")
        assert loads_policy(text).params["start"].default.isoformat() == "12:30:00"

    @pytest.mark.parametrize("fmt", ["yaml", "json"])
    def test_thousands_of_digits(self, fmt):
        """An integer of 5,000 digits is a PolicyError, not Python's int-conversion ValueError."""
        with pytest.raises(PolicyError, match=r"too long \(5000 digits\)"):
            loads_policy('{"id": ' + "9" * 5000 + "}", fmt=fmt)

    def test_thousands_of_digits_in_facts(self, capsys, tmp_path):
        """The same number in a JSON fact stream is a bad fact, one line."""
        facts = write(tmp_path, "f.json", '{"days": ' + "9" * 5000 + "}")
        code, _, err = run(capsys, "eval", str(good_policy(tmp_path)), str(facts))
        assert code == 2
        assert "too many digits" in one_line_error(err, "eval")

    def test_path_in_errors_is_never_blank(self):
        """An empty field path is quoted in the message, not rendered as a dangling 'at '."""
        error = refused(changed(("rules", 0, "when", "path"), ""))
        assert "at :" not in str(error)
        assert "'' is not a field path" in str(error)


class TestOddCommandLineInput:
    @pytest.mark.parametrize(
        ("text", "fmt"), [('{"days": 1, "days": 5}\n', "jsonl"), ('[{"days": 1,\n "days": 5}]', "json")]
    )
    def test_fact_with_a_duplicate_key(self, capsys, monkeypatch, tmp_path, text, fmt):
        """A JSON fact giving a key twice is a bad fact, as in YAML, not last-one-wins."""
        stdin_bytes(monkeypatch, text.encode())
        code, _, err = run(capsys, "eval", str(good_policy(tmp_path)), "--input-format", fmt)
        assert code == 2
        assert "duplicate key 'days'" in one_line_error(err, "eval")

    def test_sniffing_a_deep_first_line(self, capsys, monkeypatch, tmp_path):
        """Sniffing stdin whose first line is an object 100,000 levels deep does not crash."""
        stdin_bytes(monkeypatch, ('{"a": ' + DEEP_JSON + "}\n").encode())
        code, _, err = run(capsys, "eval", str(good_policy(tmp_path)))
        assert code == 2
        assert "nested too deep" in one_line_error(err, "eval")

    def test_explain_names_an_inline_fact_briefly(self, capsys, tmp_path):
        """A bad inline fact is reported as <argument>, not by echoing the whole argument."""
        code, _, err = run(capsys, "explain", str(good_policy(tmp_path)), '{"a": ' + "[" * 5000 + "]" * 5000 + "}")
        line = one_line_error(err, "explain")
        assert code == 2
        assert line.startswith("csrules explain: error: <argument>:1: invalid JSON: nested too deep")

    @pytest.mark.parametrize("command", ["eval", "check", "test", "docs"])
    def test_empty_target_is_not_the_current_directory(self, capsys, command):
        """An empty target name is refused instead of silently meaning the current directory."""
        code, _, err = run(capsys, command, "")
        assert code == 2
        assert "an empty name was given" in one_line_error(err, command)


class TestApiMisuse:
    @pytest.mark.parametrize("text", [b"id: p", None])
    def test_loads_policy_needs_text(self, text):
        """``loads_policy`` given bytes or None is a PolicyError, not an AttributeError."""
        with pytest.raises(PolicyError, match="policy text must be str"):
            loads_policy(text)

    def test_loads_policy_unknown_format(self):
        """An unknown ``fmt`` is refused instead of being read as YAML."""
        with pytest.raises(PolicyError, match="unknown format 'toml'"):
            loads_policy("id: p", fmt="toml")  # type: ignore[arg-type]

    @pytest.mark.parametrize("path", [123, None])
    def test_load_policy_needs_a_path(self, path):
        """``load_policy`` given a number or None is a PolicyError, not a TypeError."""
        with pytest.raises(PolicyError, match="named by a path"):
            load_policy(path)

    @pytest.mark.parametrize("key", ["~", "2026-01-01", "yes", "5"])
    def test_non_text_keys(self, key):
        """YAML null, date, bool or number keys in a policy are located errors, not TypeErrors."""
        with pytest.raises(PolicyError, match="keys must be text"):
            loads_policy(f"{key}: x\nid: p\n", name="p.yaml")


def _with_when(when: dict[str, Any], fact_type: str = "core_leave") -> dict[str, Any]:
    """BASE judging ``fact_type`` with one rule whose condition is ``when``."""
    data = changed(("rules", 0, "when"), when)
    data["fact_type"] = fact_type
    return data


class TestWholeNumbersInConditions:
    @pytest.mark.parametrize(
        "when",
        [
            {"kind": "count", "match": {"kind": "is_set", "path": "swapped"}, "op": ">", "value": True},
            {"kind": "nth", "match": {"kind": "is_set", "path": "swapped"}, "n": True},
            {"kind": "in_a_row", "match": {"kind": "is_set", "path": "swapped"}, "times": True},
        ],
    )
    def test_window_counts_refuse_bools(self, when):
        """``true`` is not the number 1 in a window count."""
        from tests import test_session_support  # noqa: F401  (registers sess_shift)

        with pytest.raises(PolicyError, match="valid integer"):
            csrules.Policy(**_with_when(when, "sess_shift"))

    @pytest.mark.parametrize(("days", "says"), [(10**9, "less than or equal to 36500"), (True, "valid integer")])
    def test_time_of_day_day_shift(self, days, says):
        """A ``days`` shift beyond the duration limit (or a bool) is refused at load, not overflowing in Engine()."""
        when = {"kind": "time_of_day", "path": "requested_at", "op": "<", "time": "09:00", "day_of": "starts_at"}
        with pytest.raises(PolicyError, match=says):
            csrules.Policy(**_with_when({**when, "days": days}))


class TestUtf8Input:
    def test_lines_and_characters_split_across_chunks(self):
        """Lines and multi-byte characters cut by the chunk size are read back whole."""
        lines = [("请假" * (_input.CHUNK // 5 + i)) + "\n" for i in range(3)]
        data = "\ufeff".encode() + "".join(lines).encode()
        assert list(_input.Utf8Text(io.BytesIO(data), "f")) == lines

    def test_offset_counts_bytes_before_the_bad_one(self):
        """The reported offset and line point at the first byte that is not UTF-8."""
        data = ("é\n" * 40_000).encode() + b"\xc3("
        reader = _input.Utf8Text(io.BytesIO(data), "f")
        with pytest.raises(cli.CliError, match=r"^f:40001: not UTF-8 text \(byte 0xc3 at offset 120000\)"):
            list(reader)


class TestYamlDuplicateKeys:
    def test_both_positions_like_json(self):
        """YAML duplicate keys are reported with both line:column positions, as JSON ones are."""
        with pytest.raises(PolicyError, match=r"duplicate key 'rules' at 3:1 \(first at 2:1\)"):
            loads_policy("id: p\nrules: []\nrules: []\n", name="p.yaml")


class TestPhraseParameters:
    @pytest.mark.parametrize("phrases", [[""], [], ["ok", ""]])
    def test_contains_refuses_empty_phrases_from_a_parameter(self, phrases):
        """An empty phrase list or phrase from a parameter is refused, as a literal one is (it matches every text)."""
        data = _with_when({"kind": "contains", "path": "certificate", "param": "words"})
        data["params"]["words"] = {"type": "str_list", "default": ["ok"]}
        policy = csrules.Policy(**data)
        with pytest.raises(PolicyError, match="parameter 'words' gives contains no phrase or an empty one"):
            policy.with_params(words=phrases)
