"""The packs' session policies and lifecycles, through the public API: load_pack(...).sessions().

Worked examples (one fact each) cannot express event sequences, so the session rules of the
packs are covered here: CON-1 (mall), ATT-9, ESC-2 and the CMP-1 lifecycle with its CMP-4
deadline (call_centre), ATT-12 (ecommerce) and CMP-4 (online_support), on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from csrules import PolicyError, SessionEngine
from csrules._docs import langs_for, render_docs, subject_from_pack
from csrules._sessions import available_backends
from csrules.domain import ComplaintStep
from csrules.exceptions import TransitionError
from csrules.policies import PACK_NAMES, load_pack

TZ = ZoneInfo("Asia/Shanghai")
BACKENDS = [b for b in ("durable", "python") if b in available_backends()]
DAY = datetime(2026, 1, 1).date()


def at(text: str) -> datetime:
    """``"2026-03-10 09:00"`` in Beijing time."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def call(agent: str, when: datetime, opening: str) -> dict[str, Any]:
    """A call record whose first agent line is ``opening``."""
    return {
        "call_id": f"{agent}-{when.isoformat()}",
        "agent_id": agent,
        "started_at": when.isoformat(),
        "duration": "PT1M",
        "agent_lines": [opening, "請稍等，謝謝"],
    }


def swap(when: datetime, shift_day: datetime | None = None) -> dict[str, Any]:
    """A swap request of A01 with A02, for the shift on ``shift_day`` (default: two days later)."""
    start = shift_day or when + timedelta(days=2)
    return {
        "requester": {"agent_id": "A01"},
        "partner": {"agent_id": "A02"},
        "requester_shift": {"start": start.isoformat(), "end": (start + timedelta(hours=8)).isoformat()},
        "partner_shift": {
            "start": (start + timedelta(days=1)).isoformat(),
            "end": (start + timedelta(days=1, hours=8)).isoformat(),
        },
        "requested_at": when.isoformat(),
    }


def shift(start: datetime, swapped: bool, agent: str = "A01") -> dict[str, Any]:
    """A day shift of ``agent`` starting at ``start``."""
    return {
        "agent_id": agent,
        "shift": "day",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=8)).isoformat(),
        "swapped": swapped,
    }


def order(order_id: str, opened: datetime, **fields: Any) -> dict[str, Any]:
    """A work order opened at ``opened``."""
    return {"order_id": order_id, "opened_at": opened.isoformat(), "first_handler": "A01", "owner": "A01", **fields}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class TestPackAPI:
    def test_session_policies_and_lifecycles_are_listed(self) -> None:
        """Every pack lists its session policies; only call_centre carries the complaint lifecycle."""
        cc = load_pack("call_centre")
        assert [p.id for p in cc.session_policies] == [
            "call_centre.swap_session",
            "call_centre.shift_session",
            "call_centre.work_order_session",
        ]
        assert [lc.id for lc in cc.lifecycles] == ["cmp-1"]
        assert cc.lifecycle("cmp-1").id == "cmp-1"
        assert [p.id for p in load_pack("mall").session_policies] == ["mall.call_session"]
        assert [p.id for p in load_pack("ecommerce").session_policies] == ["ecommerce.shifts_session"]
        assert [p.id for p in load_pack("online_support").session_policies] == ["online_support.work_order_session"]
        assert all(not load_pack(name).lifecycles for name in ("mall", "ecommerce", "online_support"))

    @pytest.mark.parametrize("name", PACK_NAMES)
    def test_engine_is_stateless_and_sessions_cover_the_session_policies(self, name: str) -> None:
        """engine() leaves the window kinds out; sessions() compiles them (and the lifecycles)."""
        pack = load_pack(name)
        assert {p.fact_type for p in pack.policies} == set(pack.engine().fact_types)
        engine = pack.sessions(backend="python")
        assert isinstance(engine, SessionEngine)
        wanted = {p.fact_type for p in pack.session_policies} | {lc.fact_type for lc in pack.lifecycles}
        assert set(engine.fact_types) == wanted

    @pytest.mark.parametrize("name", PACK_NAMES)
    def test_session_rules_cite_and_are_bilingual(self, name: str) -> None:
        """Session rules cite a listed source and section, with distinct English and Chinese titles."""
        pack = load_pack(name)
        assert list(pack.session_rules())
        for policy, rule in pack.session_rules():
            assert rule.citation is not None, rule.id
            assert rule.citation.source in {s.id for s in policy.sources}, rule.id
            assert rule.citation.section.strip(), rule.id
            assert rule.title.en != rule.title.zh, rule.id
            for param in policy.params.values():
                assert param.description is not None, rule.id

    def test_session_host_engine_drops_the_replaced_rules(self) -> None:
        """engine(session_host=True) leaves out the stateless CON-1 ladder the session policy replaces."""
        mall = load_pack("mall")
        fact = call("M01", at("2026-03-10 10:00"), "喂？")
        assert "CON-1.wei-corrected" in mall.engine().evaluate(fact, fact_type="call_record").rule_ids
        host = mall.engine(session_host=True).evaluate(fact, fact_type="call_record")
        assert not any(r.startswith("CON-1.wei") for r in host.rule_ids)
        assert "CON-1.hello" in host.rule_ids  # what needs no memory stays stateless
        assert mall.engine(session_host=True) is mall.engine(session_host=True)

    def test_regulations_list_session_and_lifecycle_entries(self) -> None:
        """regulations() names session rules and the lifecycle with its deadlines."""
        regs = load_pack("call_centre").regulations()
        assert "session:ATT-9.swaps-per-month" in regs["ATT-9"]
        assert "session:ESC-2.open-shift-lead" in regs["ESC-2"]
        assert "lifecycle:cmp-1" in regs["CMP-1"]
        assert regs["CMP-4"] == ["CMP-4.late", "lifecycle:cmp-1/reply"]

    def test_unknown_overrides_are_refused(self) -> None:
        """Unknown policies, parameters or lifecycle parameters raise PolicyError naming them."""
        with pytest.raises(PolicyError, match="unknown policy 'payroll'"):
            load_pack("call_centre", overrides={"payroll": {"x": 1}})
        with pytest.raises(PolicyError, match="unknown parameter"):
            load_pack("call_centre", overrides={"swap_session": {"max_swaps": 1}})
        with pytest.raises(PolicyError, match="unknown parameter 'reply_in' of lifecycle 'cmp-1'"):
            load_pack("call_centre", overrides={"cmp-1": {"reply_in": "1d"}})
        with pytest.raises(PolicyError, match="cmp-1"):
            load_pack("call_centre", overrides={"cmp-1": {"reply_within": "soon"}})

    def test_session_policy_can_be_extended(self) -> None:
        """with_rules extends a session policy too, with a +host version."""
        pack = load_pack("mall")
        rule = pack.policy("call_session").rules[0]
        extended = pack.with_rules("call_session", rule.model_copy(update={"id": "CON-1.host-copy"}))
        assert extended.policy("call_session").version == "1.0+host"
        assert load_pack("mall").policy("call_session").version == "1.0"

    def test_documents_show_session_rules_and_the_lifecycle(self) -> None:
        """The reviewer document renders the session rules in plain words and the pack's lifecycle."""
        md = render_docs(subject_from_pack(load_pack("call_centre")), langs_for("en"), DAY).markdown
        assert "ATT-9.swaps-per-month" in md
        assert "events where all of:, in the same calendar month" in md
        assert "When still open 24 hours (shift\\_lead\\_after) after opened at" in md
        assert "When 2 (swaps\\_in\\_a\\_row) in a row of: swapped shift is yes" in md
        lifecycles = md[md.index("## Lifecycles") :]
        assert "Complaint handling flow" in lifecycles
        assert "| Solution proposed | approve |" in lifecycles
        mall = render_docs(subject_from_pack(load_pack("mall")), langs_for("en"), DAY).markdown
        assert "CON-1.month-fined" in mall
        assert "No lifecycle is defined here." in mall


class TestCON1:
    """The mall's 喂 ladder, per agent and calendar month in Beijing time."""

    def test_ladder_and_month_boundary(self, backend: str) -> None:
        """1st corrected, 2nd warned, 3rd and 4th fined; 00:30 on 1 February starts again."""
        agent = load_pack("mall").sessions(backend=backend).session("M01")

        def send(when: datetime, opening: str = "喂，您好") -> tuple[str, ...]:
            return agent.send(call("M01", when, opening), now=when, fact_type="call_record").rule_ids

        assert send(at("2026-01-05 09:00")) == ("CON-1.month-corrected",)
        assert send(at("2026-01-06 09:00"), "您好，商場客服") == ()
        assert send(at("2026-01-07 09:00")) == ("CON-1.month-warned",)
        assert send(at("2026-01-20 09:00")) == ("CON-1.month-fined",)
        assert send(at("2026-01-31 23:30")) == ("CON-1.month-fined",)
        assert send(at("2026-02-01 00:30")) == ("CON-1.month-corrected",)
        assert send(at("2026-02-02 09:00")) == ("CON-1.month-warned",)

    def test_month_is_read_in_beijing_time(self, backend: str) -> None:
        """16:30 UTC on 31 January is 00:30 on 1 February in Beijing: a new month's first offence."""
        agent = load_pack("mall").sessions(backend=backend).session("M01")
        first = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
        agent.send(call("M01", first, "喂？"), now=first, fact_type="call_record")
        late = datetime(2026, 1, 31, 16, 30, tzinfo=UTC)
        result = agent.send(call("M01", late, "喂？"), now=late, fact_type="call_record")
        assert result.rule_ids == ("CON-1.month-corrected",)

    def test_consequences(self, backend: str) -> None:
        """The three steps carry corrected, warning and fine with rising severity."""
        agent = load_pack("mall").sessions(backend=backend).session("M01")
        got = []
        for day in (2, 3, 4):
            when = at(f"2026-03-0{day} 09:00")
            (violation,) = agent.send(call("M01", when, "喂"), now=when, fact_type="call_record").violations
            got.append((violation.code, violation.severity, violation.consequence.en))
        assert got == [
            ("CON-1", "notice", "corrected (step 1 of the ladder)"),
            ("CON-1", "minor", "warning (step 2 of the ladder)"),
            ("CON-1", "major", "fine (step 3 of the ladder)"),
        ]

    def test_overrides_move_the_steps(self, backend: str) -> None:
        """With warn_at 3 and fine_at 4 the first two are corrected, the third warned, the fourth fined."""
        engine = load_pack("mall", overrides={"call_session": {"warn_at": 3, "fine_at": 4}}).sessions(backend=backend)
        agent = engine.session("M01")
        got = []
        for day in (2, 3, 4, 5):
            when = at(f"2026-03-0{day} 09:00")
            got.extend(agent.send(call("M01", when, "喂"), now=when, fact_type="call_record").rule_ids)
        assert got == ["CON-1.month-corrected", "CON-1.month-corrected", "CON-1.month-warned", "CON-1.month-fined"]


class TestATT9:
    """Swaps: at most two a month (swap requests), never two swapped shifts in a row (shifts)."""

    def test_third_swap_in_a_month(self, backend: str) -> None:
        """Two swaps in March are clean; the third breaks the limit; April starts again."""
        agent = load_pack("call_centre").sessions(backend=backend).session("A01")

        def send(requested: str, shift_day: str) -> tuple[str, ...]:
            when = at(requested)
            return agent.send(swap(when, at(shift_day)), now=when, fact_type="shift_swap").rule_ids

        assert send("2026-03-01 09:00", "2026-03-05 08:30") == ()
        assert send("2026-03-06 09:00", "2026-03-10 08:30") == ()
        assert send("2026-03-11 09:00", "2026-03-20 08:30") == ("ATT-9.swaps-per-month",)
        assert send("2026-03-25 09:00", "2026-04-02 08:30") == ()  # counted in April, the shift's month

    def test_consecutive_swapped_shifts(self, backend: str) -> None:
        """A swapped shift right after a swapped shift breaks ATT-9; a worked shift between resets it."""
        agent = load_pack("call_centre").sessions(backend=backend).session("A01")

        def send(day: int, swapped: bool) -> tuple[str, ...]:
            when = at(f"2026-03-{day:02d} 08:30")
            return agent.send(shift(when, swapped), now=when, fact_type="shift_assignment").rule_ids

        assert send(2, True) == ()
        assert send(3, True) == ("ATT-9.swaps-in-a-row",)
        assert send(4, False) == ()
        assert send(5, True) == ()

    def test_override_allows_a_third_swap(self, backend: str) -> None:
        """With max_swaps_per_month 3 the third swap is clean and the fourth is not."""
        pack = load_pack("call_centre", overrides={"call_centre.swap_session": {"max_swaps_per_month": 3}})
        agent = pack.sessions(backend=backend).session("A01")
        got = []
        for day in (1, 5, 9, 13):
            when = at(f"2026-03-{day:02d} 09:00")
            got.append(agent.send(swap(when), now=when, fact_type="shift_swap").rule_ids)
        assert got == [(), (), (), ("ATT-9.swaps-per-month",)]
        assert load_pack("call_centre").policy("swap_session").param_values["max_swaps_per_month"] == 2


class TestESC2:
    """Work orders still open at 24 h go to the shift lead, at 48 h to the department manager."""

    def test_each_step_fires_once_with_ticks(self, backend: str) -> None:
        """Ticks every 6 hours: the shift lead past 24 h, the department head past 48 h, each once;
        the ticks at exactly 24 h and 48 h fire nothing (超過24小時)."""
        desk = load_pack("call_centre").sessions(backend=backend).session("desk-1")
        t0 = at("2026-03-10 09:00")
        desk.send(order("W1", t0), now=t0, fact_type="work_order")
        fired = []
        for hours in range(6, 96, 6):
            result = desk.tick(t0 + timedelta(hours=hours))
            fired.extend((hours, key) for key in result.effect_keys)
        assert fired == [
            (30, "escalation:shift_lead"),
            (30, "obligation:shift_lead"),
            (54, "escalation:department_head"),
            (54, "obligation:department_head"),
        ]

    def test_one_tick_past_both_steps(self, backend: str) -> None:
        """A single tick at 50 h fires both steps in due order; the shift lead's obligation is due at 48 h."""
        desk = load_pack("call_centre").sessions(backend=backend).session("desk-1")
        t0 = at("2026-03-10 09:00")
        desk.send(order("W1", t0), now=t0, fact_type="work_order")
        result = desk.tick(t0 + timedelta(hours=50))
        assert [f.rule_id for f in result.firings] == ["ESC-2.open-shift-lead", "ESC-2.open-department-manager"]
        assert [f.due for f in result.firings] == [t0 + timedelta(hours=24), t0 + timedelta(hours=48)]
        assert result.obligations[0].due == t0 + timedelta(hours=48)
        assert desk.tick(t0 + timedelta(days=10)).effects == ()

    def test_resolved_order_never_escalates(self, backend: str) -> None:
        """An order resolved after the first step never reaches the department head."""
        desk = load_pack("call_centre").sessions(backend=backend).session("desk-1")
        t0 = at("2026-03-10 09:00")
        desk.send(order("W1", t0), now=t0, fact_type="work_order")
        assert desk.tick(t0 + timedelta(hours=25)).effect_keys[0] == "escalation:shift_lead"
        resolved = order("W1", t0, status="closed", resolved_at=(t0 + timedelta(hours=30)).isoformat())
        desk.send(resolved, now=t0 + timedelta(hours=30), fact_type="work_order")
        assert desk.tick(t0 + timedelta(days=5)).effects == ()

    def test_override_shortens_the_ladder(self, backend: str) -> None:
        """With shift_lead_after 12h and manager_after 36h the steps move accordingly."""
        overrides = {"work_order_session": {"shift_lead_after": "12h", "manager_after": "36h"}}
        desk = load_pack("call_centre", overrides=overrides).sessions(backend=backend).session("desk-1")
        t0 = at("2026-03-10 09:00")
        desk.send(order("W1", t0), now=t0, fact_type="work_order")
        assert [f.due for f in desk.tick(t0 + timedelta(hours=40)).firings] == [
            t0 + timedelta(hours=12),
            t0 + timedelta(hours=36),
        ]


class TestCMP1:
    """The complaint lifecycle of the call-centre pack, with the CMP-4 reply deadline."""

    def test_illegal_transition_is_refused(self, backend: str) -> None:
        """Closing a proposed complaint is refused, naming the state and the allowed event; nothing changes."""
        complaint = load_pack("call_centre").sessions(backend=backend).session("complaint-1")
        t0 = at("2026-03-10 09:00")
        steps = [("register", {"complainant": "Ms Li"}), ("judge", {"founded": True}), ("propose", {})]
        for hour, (event, fields) in enumerate(steps):
            complaint.send(ComplaintStep(event=event, **fields), now=t0 + timedelta(hours=hour))
        before = complaint.export()
        with pytest.raises(TransitionError) as caught:
            complaint.send(ComplaintStep(event="close"), now=t0 + timedelta(hours=4))
        assert (caught.value.state, caught.value.allowed) == ("proposed", ("approve",))
        assert complaint.export() == before
        assert complaint.lifecycle_state("cmp-1") == "proposed"

    def test_reply_deadline_breached_once(self, backend: str) -> None:
        """No reply within 3 days of intake: one CMP-4 breach at the first tick after it."""
        complaint = load_pack("call_centre").sessions(backend=backend).session("complaint-1")
        t0 = at("2026-03-10 09:00")
        (obligation,) = complaint.send(ComplaintStep(event="register", complainant="Ms Li"), now=t0).obligations
        assert obligation.due == t0 + timedelta(days=3)
        assert complaint.tick(t0 + timedelta(days=3, hours=-1)).effects == ()
        assert complaint.tick(t0 + timedelta(days=3, hours=1)).effect_keys == ("violation:CMP-4",)
        assert complaint.tick(t0 + timedelta(days=9)).effects == ()

    def test_override_of_the_reply_deadline(self, backend: str) -> None:
        """Overriding the lifecycle's reply_within moves the CMP-4 deadline."""
        pack = load_pack("call_centre", overrides={"cmp-1": {"reply_within": "1d"}})
        assert pack.lifecycle_params["cmp-1"]["reply_within"] == "1d"
        complaint = pack.sessions(backend=backend).session("complaint-1")
        t0 = at("2026-03-10 09:00")
        (obligation,) = complaint.send(ComplaintStep(event="register", complainant="Ms Li"), now=t0).obligations
        assert obligation.due == t0 + timedelta(days=1)
        assert complaint.tick(t0 + timedelta(days=1, hours=1)).effect_keys == ("violation:CMP-4",)


class TestOtherPacks:
    def test_ecommerce_six_on_one_off(self, backend: str) -> None:
        """Seven shifts in one calendar week break ATT-12; the next week starts a new count."""
        agent = load_pack("ecommerce").sessions(backend=backend).session("E01")
        got = []
        for day in (2, 3, 4, 5, 6, 7, 8, 10):
            when = at(f"2026-03-{day:02d} 08:30")
            got.append(agent.send(shift(when, False, "E01"), now=when, fact_type="shift_assignment").rule_ids)
        assert got == [(), (), (), (), (), (), ("ATT-12.shifts-per-cycle",), ()]

    def test_online_support_reply_deadline(self, backend: str) -> None:
        """A deferred case without a reply is late once after 3 days; a replied or immediate one never."""
        desk = load_pack("online_support").sessions(backend=backend).session("desk-1")
        t0 = at("2026-03-10 09:00")
        desk.send(order("K1", t0, answer_deferred=True), now=t0, fact_type="work_order")
        desk.send(order("K2", t0, answer_deferred=True), now=t0, fact_type="work_order")
        desk.send(order("K3", t0), now=t0, fact_type="work_order")
        replied = order("K2", t0, answer_deferred=True, replied_at=at("2026-03-11 09:00").isoformat())
        desk.send(replied, now=at("2026-03-11 09:00"), fact_type="work_order")
        result = desk.tick(t0 + timedelta(days=4))
        assert [(f.item, f.rule_id) for f in result.firings] == [("K1", "CMP-4.no-reply-by-deadline")]
        assert desk.tick(t0 + timedelta(days=8)).effects == ()


def _script(backend: str) -> list[Any]:
    """One mixed stream through the call-centre and mall sessions; every result as data."""
    cc = load_pack("call_centre").sessions(backend=backend)
    mall = load_pack("mall").sessions(backend=backend)
    out: list[Any] = []
    agent, desk, complaint, m01 = cc.session("A01"), cc.session("desk"), cc.session("c-1"), mall.session("M01")
    t0 = at("2026-03-01 09:00")
    for day in range(6):
        when = t0 + timedelta(days=day)
        out.append(agent.send(swap(when), now=when, fact_type="shift_swap").to_dict())
        out.append(agent.send(shift(when, day % 3 != 0), now=when, fact_type="shift_assignment").to_dict())
        opening = "喂" if day % 2 else "您好"
        out.append(m01.send(call("M01", when, opening), now=when, fact_type="call_record").to_dict())
    desk.send(order("W1", t0), now=t0, fact_type="work_order")
    desk.send(order("W2", t0 + timedelta(hours=5)), now=t0 + timedelta(hours=5), fact_type="work_order")
    out.append(desk.tick(t0 + timedelta(hours=50)).to_dict())
    out.append(complaint.send(ComplaintStep(event="register", complainant="Ms Li"), now=t0).to_dict())
    out.append(complaint.tick(t0 + timedelta(days=4)).to_dict())
    return out


@pytest.mark.skipif(len(BACKENDS) < 2, reason="durable-rules is not installed on this Python")
def test_backends_give_the_same_effects() -> None:
    """The durable and Python backends give identical results for the same stream."""
    durable, python = _script("durable"), _script("python")
    for item in (*durable, *python):
        item.pop("backend", None)
        if isinstance(item.get("trace"), dict):
            item["trace"].pop("backend", None)
    assert durable == python
    assert sum(len(item["firings"]) for item in durable) >= 8
