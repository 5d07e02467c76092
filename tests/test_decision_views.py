"""Decisions read what depends only on the matched rules from a per-pattern view: the views
must say exactly what the effects say, whatever the policy, fact, cache state or due time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import csrules._engine.compile as compile_module
from csrules import (
    BusinessCalendar,
    Compare,
    Engine,
    Oblige,
    Outcome,
    Policy,
    Rule,
    Text,
    registered_time,
)
from csrules._engine.compile import matched_positions
from csrules._engine.decision import (
    Approval,
    EffectResult,
    EffectViews,
    Escalation,
    Violation,
    merge_approvals,
)
from csrules.exceptions import CalendarError
from tests import reference_interpreter
from tests.core_models import Thing
from tests.strategies import aware_datetimes, effects, policies, things

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SHANGHAI = ZoneInfo("Asia/Shanghai")
READS = (
    "outcome",
    "is_clean",
    "violations",
    "obligations",
    "approvals",
    "escalations",
    "recommendations",
    "approvers",
    "effect_keys",
)


class FromEffects(EffectViews):
    """The generic views, computed from a list of effects (the reading before views)."""

    __slots__ = ("_own", "errors")

    def __init__(self, effects: tuple[EffectResult, ...], errors: tuple[Any, ...]) -> None:
        self._own = effects
        self.errors = errors

    @property
    def effects(self) -> tuple[EffectResult, ...]:
        """The effects given."""
        return self._own


def assert_views_agree(decision: Any) -> None:
    """Every view of ``decision`` equals the one computed from its effects, twice over."""
    plain = FromEffects(decision.effects, decision.errors)
    for _ in range(2):  # the second read comes from the caches
        for name in READS:
            assert getattr(decision, name) == getattr(plain, name), name


def old_merge(effects: list[EffectResult]) -> tuple[EffectResult, ...]:
    """Approvals merged one pair at a time, as the first implementation did."""
    first: dict[str, int] = {}
    out: list[EffectResult] = []
    for effect in effects:
        if not isinstance(effect, Approval):
            out.append(effect)
            continue
        at = first.get(effect.role)
        if at is None:
            first[effect.role] = len(out)
            out.append(effect)
            continue
        kept = out[at]
        assert isinstance(kept, Approval)
        rules = (*kept.rules, *(r for r in effect.rules if r not in kept.rules))
        out[at] = Approval(kept.policy_id, kept.rule_id, kept.role, kept.reason, rules)
    return tuple(out)


@st.composite
def dated_policies(draw: st.DrawFn) -> Policy:
    """A random policy with an obligation whose due time depends on the fact or ``now``."""
    policy = draw(policies())
    since = draw(st.sampled_from([None, "at", "until"]))
    due = {"after": draw(st.sampled_from(["2h", "1d", "30m"])), "since": since}
    dated = Rule(
        id="dated",
        title=Text(en="dated", zh="dated"),
        when=draw(st.sampled_from([Compare(path="flag", op="==", value=True),
                                   Compare(path="n", op=">", value=3)])),
        then=[Oblige(action=Text(en="reply", zh="回复"), who="agent", due=due),
              *draw(st.lists(effects("dated"), max_size=2))],
    )
    return policy.model_copy(update={"rules": [*policy.rules, dated]})


class TestViewsAgreeWithEffects:
    @SETTINGS
    @given(policies(), st.lists(things(), min_size=1, max_size=6), aware_datetimes)
    def test_fixed_effects(self, policy, facts, now):
        """Outcome, effects by kind, approvers and keys equal those computed from the effects."""
        engine = Engine(policy)
        for fact in facts:
            decision = engine.evaluate(fact, now=now)
            assert list(decision.rule_ids) == reference_interpreter.matching_rules(policy, fact, now)
            assert_views_agree(decision)

    @SETTINGS
    @given(dated_policies(), st.lists(things(), min_size=1, max_size=6), aware_datetimes)
    def test_due_times(self, policy, facts, now):
        """With due times, each decision has its own obligations; the other views still agree."""
        engine = Engine(policy)
        for fact in facts:
            assert_views_agree(engine.evaluate(fact, now=now))

    @SETTINGS
    @given(policies(), st.lists(things(), min_size=1, max_size=6), aware_datetimes)
    def test_views_do_not_depend_on_reading_order(self, policy, facts, now):
        """Reading the views before the effects gives the same as reading the effects first."""
        engine = Engine(policy)
        for fact in facts:
            first, second = engine.evaluate(fact, now=now), engine.evaluate(fact, now=now)
            views = [getattr(first, name) for name in READS]
            second.effects  # noqa: B018 - read first on purpose
            assert views == [getattr(second, name) for name in READS]
            assert first == second
            assert first.to_dict() == second.to_dict()

    def test_error_free_decision_has_no_errors(self):
        """A decision whose rules all ran reports no errors and is clean when nothing holds."""
        policy = Policy(
            id="quiet", version="1", title=Text(en="q", zh="q"), fact_type="core_thing",
            rules=[Rule(id="r", title=Text(en="r", zh="r"),
                        when=Compare(path="n", op=">", value=100),
                        then=[{"type": "violation", "code": "X", "message": {"en": "x", "zh": "x"}}])],
        )
        decision = Engine(policy).evaluate(Thing(n=1, kind="a", flag=False, text="",
                                                 at=datetime(2026, 1, 5, tzinfo=SHANGHAI)))
        assert decision.errors == ()
        assert decision.is_clean
        assert decision.outcome is Outcome.CLEAN
        assert "errors" not in decision.to_dict()


CALENDAR_2026 = BusinessCalendar(timezone="Asia/Shanghai", hours={"mon-fri": "09:00-18:00"}, holiday_years=(2026,))
"""A calendar holding only 2026: a due time in another year cannot be worked out."""


def late_reply(calendar: str, effect: dict[str, Any]) -> Policy:
    """One rule on ``flag``: a reply due one business day (of ``calendar``) after ``at``, and ``effect``."""
    return Policy(
        id="late", version="1", title=Text(en="l", zh="l"), fact_type="core_thing",
        rules=[Rule(id="reply", title=Text(en="r", zh="r"),
                    when=Compare(path="flag", op="==", value=True),
                    then=[Oblige(action=Text(en="reply", zh="回复"), who="agent",
                                 due={"after": "1 business days", "since": "at", "calendar": calendar}),
                          effect])],
    )


class TestUncomputableDueTime:
    def test_every_view_raises_like_effects(self):
        """A due time the calendar cannot answer raises from outcome and approvers too."""
        with registered_time(calendars={"views-2026-only": CALENDAR_2026}):
            policy = late_reply("views-2026-only", {"type": "approval", "role": "lead"})
            fact = Thing(n=1, kind="a", flag=True, text="", at=datetime(2030, 1, 7, tzinfo=SHANGHAI))
            decision = Engine(policy).evaluate(fact)
            assert decision.rule_ids == ("reply",)
            for name in ("effects", "outcome", "approvers", "violations", "obligations", "is_clean"):
                with pytest.raises(CalendarError, match="2030"):
                    getattr(decision, name)


class TestMergeApprovals:
    @given(st.lists(st.tuples(st.sampled_from(["approval", "violation", "escalation"]),
                              st.sampled_from(["lead", "head", "qa"]),
                              st.sampled_from(["r1", "r2", "r3", "r4"])), max_size=12))
    def test_same_as_pairwise_merging(self, items):
        """Merging all approvals of a role at once equals merging them pair by pair."""
        effects: list[EffectResult] = []
        for kind, role, rule in items:
            if kind == "approval":
                effects.append(Approval("p", rule, role))
            elif kind == "violation":
                effects.append(Violation("p", rule, role.upper(), "major", Text(en="v", zh="v")))
            else:
                effects.append(Escalation("p", rule, role))
        assert merge_approvals(effects) == old_merge(effects)


class TestMatchedPositions:
    @given(st.integers(min_value=0, max_value=2**300))
    def test_set_bits_lowest_first(self, mask):
        """The positions are exactly the set bits of the mask, in increasing order."""
        assert matched_positions(mask) == [i for i in range(mask.bit_length()) if mask >> i & 1]


class TestPatternCache:
    def test_bounded_and_keeps_the_newest(self, monkeypatch):
        """A full pattern cache makes room by dropping its oldest pattern; answers stay right."""
        monkeypatch.setattr(compile_module, "MAX_VIEWS", 2)
        policy = Policy(
            id="bits", version="1", title=Text(en="b", zh="b"), fact_type="core_thing",
            rules=[Rule(id=f"n{k}", title=Text(en="n", zh="n"),
                        when=Compare(path="n", op="==", value=k),
                        then=[{"type": "approval", "role": f"role{k}"}]) for k in range(4)],
        )
        engine = Engine(policy)
        plan = engine._plans["core_thing"]
        at = datetime(2026, 1, 5, tzinfo=SHANGHAI)
        for k in (0, 1, 2, 3, 0):
            decision = engine.evaluate(Thing(n=k, kind="a", flag=False, text="", at=at))
            assert decision.approvers == (f"role{k}",)
            assert len(plan._views) <= 2
        assert list(plan._views) == [1 << 3, 1 << 0]


class TestCalendarCopies:
    @pytest.mark.parametrize("copy_kind", ["copy", "deepcopy", "pickle", "model_copy"])
    def test_copies_answer_alike(self, copy_kind):
        """A copied calendar or shift pattern rebuilds its tables and gives the same answers."""
        import copy
        import pickle

        from csrules._time.shifts import Shift, ShiftPattern

        calendar = BusinessCalendar(timezone="Asia/Shanghai", hours={"mon-fri": "09:00-18:00"},
                                    holidays=[date(2026, 1, 1)])
        pattern = ShiftPattern.on_off(timezone="Asia/Shanghai", shift="late", on=6, off=1,
                                      shifts=[Shift(name="late", start="16:00", end="00:50")],
                                      anchor=date(2026, 1, 5))
        makers = {"copy": copy.copy, "deepcopy": copy.deepcopy,
                  "pickle": lambda o: pickle.loads(pickle.dumps(o)),
                  "model_copy": lambda o: o.model_copy()}
        at = datetime(2025, 12, 31, 17, tzinfo=SHANGHAI)
        for original in (calendar, pattern):
            copied = makers[copy_kind](original)
            assert copied == original
            assert hash(copied) == hash(original)
        assert makers[copy_kind](calendar).add(at, "3 business days") == calendar.add(
            at, "3 business days")
        assert makers[copy_kind](pattern).shift_at(at + timedelta(days=6)) == pattern.shift_at(
            at + timedelta(days=6))
        with pytest.raises(AttributeError):
            calendar.no_such_attribute  # noqa: B018 - reading it is the test


class TestBusinessDaysAcrossClockChanges:
    def test_same_as_composed_public_steps(self):
        """Adding business days around DST changes equals composing the public steps."""
        from csrules._time.calendar import wall_to_utc

        zone = ZoneInfo("America/New_York")
        calendar = BusinessCalendar(timezone="America/New_York",
                                    hours={"mon-sun": ["00:30-04:00", "20:00-23:00"]})
        starts = [datetime(2026, 3, 5, tzinfo=zone), datetime(2026, 10, 29, tzinfo=zone)]
        instants = [s + timedelta(minutes=30 * k) for s in starts for k in range(6 * 48)]
        for instant in instants:
            for days in (1, 2, 3):
                begin = calendar.next_working_instant(instant)
                target = calendar.add_working_days(begin.date(), days)
                wall = datetime.combine(target, begin.time())
                expected = calendar.next_working_instant(wall_to_utc(wall, zone))
                got = calendar.add(instant, f"{days} business days")
                assert (got, got.isoformat(), got.fold) == (
                    expected, expected.isoformat(), expected.fold), instant


class TestFieldsReadOnce:
    def test_generated_code_reads_a_shared_field_once(self):
        """A field several conditions read is read into a local once per evaluation."""
        policy = Policy(
            id="shared", version="1", title=Text(en="s", zh="s"), fact_type="core_thing",
            rules=[Rule(id=f"n{k}", title=Text(en="n", zh="n"),
                        when=Compare(path="n", op=">", value=k),
                        then=[{"type": "approval", "role": "lead"}]) for k in range(3)],
        )
        decide = Engine(policy).source("core_thing").split("\n\n")[0]
        assert decide.count("f.n") == 1
        assert "_f_n = f.n" in decide

    def test_unreadable_field_fails_only_its_rules(self):
        """A fact missing a field several rules read fails those rules alone, as before."""
        policy = Policy(
            id="missing", version="1", title=Text(en="m", zh="m"), fact_type="core_thing",
            rules=[
                *(Rule(id=f"text{k}", title=Text(en="t", zh="t"),
                       when=Compare(path="text", op="==", value=f"v{k}"),
                       then=[{"type": "approval", "role": "lead"}]) for k in range(2)),
                Rule(id="flag", title=Text(en="f", zh="f"),
                     when=Compare(path="flag", op="==", value=True),
                     then=[{"type": "approval", "role": "head"}]),
            ],
        )
        # constructed without validation, and without its required text
        fact = Thing.model_construct(n=1, kind="a", flag=True,
                                     at=datetime(2026, 1, 5, tzinfo=SHANGHAI))
        assert "text" not in fact.__dict__
        decision = Engine(policy).evaluate(fact)
        assert decision.rule_ids == ("flag",)
        assert [e.rule_id for e in decision.errors] == ["text0", "text1"]
