"""Traces render in Chinese: verdicts, conditions, value labels and values."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from csrules.policies import load_pack
from tests.test_session_support import Greeting, WorkOrder, at, engine

CST = timezone(timedelta(hours=8))
LEAVE = {"agent_id": "A01", "kind": "personal", "start": "2026-03-02T08:30:00+08:00",
         "end": "2026-03-02T16:30:00+08:00", "requested_at": "2026-03-01T20:00:00+08:00",
         "requested_by": "A01"}

# What a Chinese trace keeps as written: names (policy/rule keys, field paths before "=",
# parameter names in brackets, calendar names), quoted data values and instants. Everything else is Chinese.
_NAMES = (
    re.compile(r"^\S+/\S+："),  # the rule key heading a rule's lines
    re.compile(r"[A-Za-z_][\w.]*="),  # a value's field path
    re.compile(r"\([a-z_][a-z0-9_]*\)"),  # a parameter's name after its value
    re.compile(r"“[^”]*”"),  # a data value
    re.compile(r"\d{4}-\d\d-\d\d[T ][\d:.+-]+"),  # an instant
    re.compile(r"(?<=按)[A-Za-z_][\w.-]*(?=日历)"),  # a calendar's name
)


def prose(text: str) -> str:
    """``text`` without the names and data a Chinese trace keeps as written."""
    lines = []
    for line in text.splitlines():
        for pattern in _NAMES:
            line = pattern.sub("", line)
        lines.append(line)
    return "\n".join(lines)


@pytest.fixture(scope="module")
def leave_trace():
    """The trace of one late personal-leave request under the call_centre pack."""
    decision = load_pack("call_centre").engine().evaluate(
        LEAVE, fact_type="leave_request", now=datetime(2026, 3, 1, 20, tzinfo=CST))
    return decision.trace


class TestDecisionTrace:
    """A decision's trace in Chinese, and in English as before."""

    def test_chinese_has_no_english_prose(self, leave_trace):
        """Verdicts, conditions (evaluated or not), labels and values are Chinese."""
        text = leave_trace.render(lang="zh")
        assert "call_centre.leave/ATT-1.personal-notice：命中" in text
        assert "已过时长=12小时30分" in text
        assert "未命中" in text
        assert re.findall(r"[A-Za-z]+", prose(text)) == []

    def test_english_is_the_default(self, leave_trace):
        """render() is the English render, with the verdicts as before."""
        assert leave_trace.render() == leave_trace.render(lang="en")
        assert "call_centre.leave/ATT-1.personal-notice: MATCHED" in leave_trace.render()

    def test_unknown_language_refused(self, leave_trace):
        """A language csrules does not write is refused, naming the ones it does."""
        with pytest.raises(ValueError, match="lang must be 'en' or 'zh'"):
            leave_trace.render(lang="fr")


class TestSessionTrace:
    """A session call's trace in Chinese: header, notes and rules."""

    def test_event_and_tick(self):
        """An event's window values and a tick's firing read in Chinese."""
        sessions = engine("python")
        agent = sessions.session("a")
        agent.send(Greeting(agent="a", at=at(2), opening="喂"), now=at(2))
        event = agent.send(Greeting(agent="a", at=at(2), opening="喂"), now=at(2)).trace.render(lang="zh")
        assert "第2个事件，类型 sess_greeting" in event
        assert "con-1/warn：命中" in event
        assert "第几次=2" in event
        order = sessions.session("o")
        order.send(WorkOrder(order_id="o", status="open", opened_at=at(3)), now=at(3))
        tick = order.tick(at(5)).trace.render(lang="zh")
        assert "的时钟推进" in tick
        assert "事项 'o'（到期 2026-01-04T09:00:00+08:00）" in tick
