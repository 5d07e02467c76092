"""Hypothesis strategies for the core tests: random policies over ``core_thing`` facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from csrules import (
    All,
    Any_,
    Approve,
    Compare,
    Contains,
    Elapsed,
    Escalate,
    In,
    IsMissing,
    IsSet,
    Not,
    NotIn,
    Oblige,
    Parameter,
    Policy,
    Recommend,
    Rule,
    Text,
    Violate,
)
from tests.core_models import Sub, Thing

ZONES = [UTC, timezone(timedelta(hours=8)), ZoneInfo("Europe/Berlin")]
PHRASES = ["hello", "您好", "喂", "這不是我應該做的", "这不是我应该做的", "Bye", "HELLO"]

aware_datetimes = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.sampled_from(ZONES)
)
"""Aware datetimes across three zones, one of them with DST."""

texts = st.lists(st.sampled_from([*PHRASES, "a", "b", " "]), max_size=4).map("".join)
"""Short texts that sometimes contain the phrases the conditions look for."""


@st.composite
def things(draw: st.DrawFn) -> Thing:
    """A valid ``core_thing`` fact."""
    at = draw(aware_datetimes)
    return Thing(
        n=draw(st.integers(-5, 30)),
        x=draw(st.none() | st.floats(-10, 10, allow_nan=False)),
        kind=draw(st.sampled_from(["a", "b", "c"])),
        flag=draw(st.booleans()),
        text=draw(texts),
        lines=draw(st.lists(texts, max_size=3)),
        at=at,
        until=draw(st.none() | st.timedeltas(timedelta(hours=-5), timedelta(days=3)).map(lambda d: at + d)),
        sub=draw(st.none() | st.builds(Sub, m=st.integers(-5, 30), label=st.none() | texts)),
    )


PARAMS = {
    "lim": Parameter(type="int", default=10, min=0, max=100),
    "limf": Parameter(type="float", default=0.5),
    "span": Parameter(type="duration", default="2h"),
    "kinds": Parameter(type="str_list", default=["a", "b"]),
    "words": Parameter(type="str_list", default=["喂", "hello"]),
}
OPS = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
EQ_OPS = st.sampled_from(["==", "!="])


LEAVES: st.SearchStrategy[Any] = st.one_of(
    st.builds(Compare, path=st.just("n"), op=OPS, value=st.integers(-5, 30)),
    st.builds(Compare, path=st.just("n"), op=OPS, param=st.just("lim")),
    st.builds(Compare, path=st.just("n"), op=OPS, field=st.just("sub.m")),
    st.builds(Compare, path=st.just("x"), op=OPS, value=st.floats(-10, 10, allow_nan=False)),
    st.builds(Compare, path=st.just("x"), op=OPS, param=st.just("limf")),
    st.builds(Compare, path=st.just("kind"), op=EQ_OPS, value=st.sampled_from(["a", "b", "c"])),
    st.builds(Compare, path=st.just("flag"), op=EQ_OPS, value=st.booleans()),
    st.builds(Compare, path=st.just("at"), op=OPS, field=st.just("until")),
    st.builds(Compare, path=st.just("at"), op=OPS, value=aware_datetimes),
    st.builds(In, path=st.just("kind"), value=st.lists(st.sampled_from("abc"), min_size=1, max_size=3)),
    st.builds(In, path=st.just("kind"), param=st.just("kinds")),
    st.builds(NotIn, path=st.just("kind"), value=st.lists(st.sampled_from("abc"), min_size=1)),
    st.builds(NotIn, path=st.just("sub.label"), param=st.just("words")),
    st.builds(
        Contains,
        path=st.sampled_from(["text", "lines", "sub.label"]),
        phrases=st.lists(st.sampled_from(PHRASES), min_size=1, max_size=3),
        fold=st.sampled_from(["none", "case", "zh"]),
    ),
    st.builds(Contains, path=st.just("lines"), param=st.just("words"), fold=st.sampled_from(["case", "zh"])),
    st.builds(IsSet, path=st.sampled_from(["x", "sub", "sub.label", "until"])),
    st.builds(IsMissing, path=st.sampled_from(["x", "sub", "sub.label", "until"])),
    st.builds(
        Elapsed,
        since=st.just("at"),
        until=st.just("until"),
        op=OPS,
        duration=st.sampled_from(["1h", "20min", "1d", "PT90M"]),
    ),
    st.builds(Elapsed, since=st.just("at"), op=OPS, param=st.just("span")),
)
"""Every leaf condition kind, typed right for ``core_thing``."""

CONDITIONS: st.SearchStrategy[Any] = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.builds(All, of=st.lists(children, min_size=1, max_size=3)),
        st.builds(Any_, of=st.lists(children, min_size=1, max_size=3)),
        st.builds(Not, condition=children),
    ),
    max_leaves=8,
)
"""Random condition trees of every core kind."""


def effects(rule_id: str) -> st.SearchStrategy[Any]:
    """One effect of each type, with a code derived from the rule id."""
    text = Text(en=f"effect of {rule_id}", zh=f"{rule_id} 的效果")
    return st.sampled_from(
        [
            Violate(code=rule_id.upper(), message=text),
            Approve(role="lead"),
            Escalate(to="head"),
            Oblige(action=text, who="agent"),
            Recommend(text=text),
        ]
    )


@st.composite
def rules(draw: st.DrawFn, rule_id: str) -> Rule:
    """A rule with a random condition and one or two effects."""
    return Rule(
        id=rule_id,
        title=Text(en=rule_id, zh=rule_id),
        when=draw(CONDITIONS),
        then=draw(st.lists(effects(rule_id), min_size=1, max_size=2)),
        priority=draw(st.integers(0, 3)),
    )


@st.composite
def policies(draw: st.DrawFn, hit_policy: str | None = None) -> Policy:
    """A valid random policy over ``core_thing``."""
    count = draw(st.integers(1, 6))
    return Policy(
        id="random",
        version="1",
        title=Text(en="random", zh="随机"),
        fact_type="core_thing",
        hit_policy=hit_policy or draw(st.sampled_from(["collect", "first", "priority"])),
        params=PARAMS,
        rules=[draw(rules(f"r{i}")) for i in range(count)],
    )
