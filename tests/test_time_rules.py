"""The house rules about time, each written as a policy file and evaluated.

Quoted rules: leave requested "one day ahead", "one hour before the shift", "before 12:00 on
the day" of a night shift, "two days ahead" of a public holiday; work orders that escalate
after 24 hours; replies within 3 (business) days; callbacks never while the customer rests;
reports "by the 22nd"; a meeting "on the Friday before the 25th".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from pydantic import AwareDatetime, BaseModel, Field

from csrules import Engine, PolicyError, Shift, ShiftPattern, loads_policy, register_fact_type
from csrules._time.registry import registered_time

SH = ZoneInfo("Asia/Shanghai")

# 16:00-00:50 night shift six days on, one off, from Monday 2026-01-05 (the call centre's rota).
ROTA = ShiftPattern.on_off(
    timezone="Asia/Shanghai",
    shifts=[Shift(name="late", start="16:00", end="00:50", night=True)],
    shift="late", on=6, off=1, anchor=date(2026, 1, 5),
)


@register_fact_type(name="tr_leave")
class LeaveRequest(BaseModel):
    """A request for leave."""

    kind: str = Field(title="kind of leave", json_schema_extra={"zh": "假别"})
    requested_at: AwareDatetime = Field(title="requested at", json_schema_extra={"zh": "申请时间"})
    starts_at: AwareDatetime = Field(title="leave starts", json_schema_extra={"zh": "假期开始时间"})


@register_fact_type(name="tr_work_order")
class WorkOrder(BaseModel):
    """A work order (工单)."""

    created_at: AwareDatetime
    resolved_at: AwareDatetime | None = None


@register_fact_type(name="tr_message")
class Message(BaseModel):
    """A customer's written message."""

    received_at: AwareDatetime
    replied_at: AwareDatetime | None = None


class Customer(BaseModel):
    """The customer's stated rest hours, if any."""

    rest_from: time | None = None
    rest_until: time | None = None


@register_fact_type(name="tr_callback")
class Callback(BaseModel):
    """A planned callback."""

    callback_at: AwareDatetime
    customer: Customer = Field(default_factory=Customer)


@register_fact_type(name="tr_report")
class Report(BaseModel):
    """A monthly report, for the month starting ``month``."""

    month: date
    submitted_at: AwareDatetime


@register_fact_type(name="tr_meeting")
class Meeting(BaseModel):
    """A monthly team meeting."""

    held_at: AwareDatetime


LEAVE = """
id: leave-notice
version: "1"
title: {en: Notice for leave, zh: 请假提前量}
fact_type: tr_leave
params:
  personal_notice:
    {type: duration, default: 1d, description: {en: "personal leave: one day ahead", zh: 事假提前一天}}
  sick_notice:
    {type: duration, default: 1h, description: {en: "sick leave: one hour before the shift", zh: 病假班前一小时}}
  night_cutoff:
    {type: time, default: "12:00", description: {en: "night shift: before 12:00 on the day", zh: 夜班当天12点前}}
rules:
  - id: personal-one-day-ahead
    title: {en: Personal leave is requested one day ahead, zh: 事假须提前一天申请}
    when:
      kind: all
      of:
        - {kind: compare, path: kind, op: "==", value: personal}
        - {kind: notice, since: requested_at, until: starts_at, op: "<", param: personal_notice}
    then: [{type: violation, code: LV-1, message: {en: "asked less than {personal_notice} ahead",
                                                  zh: "未提前{personal_notice}申请"}}]
  - id: sick-one-hour-before-shift
    title: {en: Sick leave is reported one hour before the shift, zh: 病假须在班前一小时报告}
    when:
      kind: all
      of:
        - {kind: compare, path: kind, op: "==", value: sick}
        - {kind: notice, since: requested_at, until: starts_at, op: "<", param: sick_notice}
    then: [{type: violation, code: LV-2, severity: minor, message: "reported late"}]
  - id: night-shift-before-noon
    title: {en: Leave from a night shift is requested before 12:00 on the day, zh: 夜班请假须在当天12点前申请}
    when:
      kind: all
      of:
        - {kind: night_shift, path: starts_at, shifts: tr-rota}
        - {kind: time_of_day, path: requested_at, op: ">=", time: {param: night_cutoff},
           day_of: starts_at, shifts: tr-rota}
    then: [{type: violation, code: LV-3, message: "asked after {night_cutoff} on the shift date"}]
  - id: holiday-two-days-ahead
    title: {en: Leave on a public holiday is requested two days ahead, zh: 法定节假日请假须提前两天}
    when:
      kind: all
      of:
        - {kind: on_holiday, path: starts_at, calendar: china}
        - {kind: notice, since: requested_at, until: starts_at, op: "<", duration: 2d}
    then:
      - {type: violation, code: LV-4, message: "holiday leave asked less than two days ahead"}
      - {type: approval, role: centre_director}
"""

WORK_ORDERS = """
id: work-orders
version: "1"
title: {en: Work orders, zh: 工单}
fact_type: tr_work_order
rules:
  - id: escalate-after-24h
    title: {en: An unresolved work order escalates after 24 hours, zh: 工单24小时未解决须升级}
    when:
      kind: all
      of:
        - {kind: is_missing, path: resolved_at}
        - {kind: notice, since: created_at, op: ">=", duration: 24h}
    then: [{type: escalation, to: team_lead, reason: "open for 24 hours"}]
"""

REPLIES = """
id: replies
version: "1"
title: {en: Replies to written messages, zh: 书面回复}
fact_type: tr_message
params:
  reply_within: {type: duration, default: 3 business days}
rules:
  - id: reply-due
    title: {en: Reply within 3 business days, zh: 三个工作日内回复}
    when: {kind: is_missing, path: replied_at}
    then:
      - type: obligation
        action: {en: reply to the customer, zh: 回复客户}
        who: agent
        due: {param: reply_within, since: received_at, calendar: china}
  - id: reply-late
    title: {en: A reply after 3 business days is late, zh: 超过三个工作日回复即为逾期}
    when: {kind: notice, since: received_at, until: replied_at, op: ">", param: reply_within, calendar: china}
    then: [{type: violation, code: RP-1, severity: minor, message: "replied late"}]
"""

CALLBACKS = """
id: callbacks
version: "1"
title: {en: Callbacks, zh: 回访}
fact_type: tr_callback
params:
  quiet_from: {type: time, default: "21:00"}
  quiet_until: {type: time, default: "09:00"}
rules:
  - id: never-while-resting
    title: {en: Never call back while the customer rests, zh: 客户休息时间不得回访}
    when:
      kind: any
      of:
        - {kind: within_hours, path: callback_at, start: {field: customer.rest_from},
           end: {field: customer.rest_until}, tz: Asia/Shanghai}
        - kind: all
          of:
            - {kind: is_missing, path: customer.rest_from}
            - {kind: within_hours, path: callback_at, start: {param: quiet_from},
               end: {param: quiet_until}, tz: Asia/Shanghai}
    then: [{type: violation, code: CB-1, message: "callback while the customer rests"}]
"""

DUTIES = """
id: team-duties
version: "1"
title: {en: Team lead duties, zh: 组长职责}
fact_type: tr_report
rules:
  - id: report-by-the-22nd
    title: {en: The monthly report is in by the 22nd, zh: 每月22日前提交月报}
    when: {kind: recurring, path: submitted_at, op: ">", recurrence: monthly by the 22nd,
           period_start: month, tz: Asia/Shanghai}
    then: [{type: violation, code: DT-1, message: "report after the 22nd"}]
"""

MEETINGS = """
id: meetings
version: "1"
title: {en: Team meetings, zh: 例会}
fact_type: tr_meeting
rules:
  - id: friday-before-the-25th
    title: {en: The team meets on the Friday before the 25th, zh: 每月25日前的周五开例会}
    when: {kind: recurring, path: held_at, op: "!=", recurrence: monthly on the Friday before the 25th,
           tz: Asia/Shanghai}
    then: [{type: violation, code: DT-2, severity: notice, message: "meeting on the wrong day"}]
"""


@pytest.fixture(scope="module", autouse=True)
def _rota():
    """The call centre's rota, registered under ``tr-rota`` for this module."""
    with registered_time(shift_patterns={"tr-rota": ROTA}):
        yield


def engine(text: str) -> Engine:
    """The engine of one policy file's text."""
    return Engine(loads_policy(text))


def sh(*parts: int) -> datetime:
    """A Shanghai instant."""
    return datetime(*parts, tzinfo=SH)


class TestLeave:
    def judge(self, kind: str, requested_at: datetime, starts_at: datetime) -> tuple[str, ...]:
        decision = engine(LEAVE).evaluate({"kind": kind, "requested_at": requested_at, "starts_at": starts_at})
        assert decision.rule_ids == tuple(r.rule_id for r in decision.trace if r.matched)
        return tuple(v.code for v in decision.violations)

    def test_personal_leave_one_day_ahead(self):
        """Personal leave asked 24 hours ahead is fine; a second less is a violation."""
        assert self.judge("personal", sh(2026, 1, 12, 9), sh(2026, 1, 13, 9)) == ()
        assert self.judge("personal", sh(2026, 1, 12, 9, 0, 1), sh(2026, 1, 13, 9)) == ("LV-1",)

    def test_sick_leave_one_hour_before_the_shift(self):
        """Sick leave reported 59 minutes before a 09:00 day shift is late; 60 minutes is not."""
        assert self.judge("sick", sh(2026, 1, 12, 8), sh(2026, 1, 12, 9)) == ()
        assert self.judge("sick", sh(2026, 1, 12, 8, 1), sh(2026, 1, 12, 9)) == ("LV-2",)
        # for the 16:00 night shift, 15:01 is both late and after the noon cutoff
        assert self.judge("sick", sh(2026, 1, 12, 15, 1), sh(2026, 1, 12, 16)) == ("LV-2", "LV-3")

    def test_night_shift_before_noon_on_the_day(self):
        """Leave from the night shift must be asked before 12:00 on the shift date, also for
        the part of the shift after midnight."""
        assert self.judge("personal", sh(2026, 1, 11, 11), sh(2026, 1, 12, 16)) == ()
        assert self.judge("sick", sh(2026, 1, 12, 11, 59), sh(2026, 1, 12, 16)) == ()
        assert self.judge("sick", sh(2026, 1, 12, 12), sh(2026, 1, 12, 16)) == ("LV-3",)
        # 00:30 on the 13th is still Monday the 12th's shift: noon on the 12th is the cutoff
        assert self.judge("sick", sh(2026, 1, 12, 13), sh(2026, 1, 13, 0, 30)) == ("LV-3",)
        # Sunday the 11th is the rota's day off: no night shift, no cutoff
        assert self.judge("sick", sh(2026, 1, 11, 13), sh(2026, 1, 11, 18)) == ()

    def test_two_days_ahead_of_a_public_holiday(self):
        """Leave on National Day asked 47 hours ahead breaks the rule and needs the director."""
        decision = engine(LEAVE).evaluate(
            {"kind": "personal", "requested_at": sh(2025, 9, 29, 11), "starts_at": sh(2025, 10, 1, 10)})
        assert [v.code for v in decision.violations] == ["LV-4"]
        assert decision.approvers == ("centre_director",)
        fine = engine(LEAVE).evaluate(
            {"kind": "personal", "requested_at": sh(2025, 9, 29, 10), "starts_at": sh(2025, 10, 1, 10)})
        assert fine.violations == ()
        # the worked Sunday before National Day (调休) is no holiday
        assert self.judge("personal", sh(2025, 9, 27, 9), sh(2025, 9, 28, 10)) == ()

    def test_messages_and_trace_read_the_parameters(self):
        """Messages quote the parameters in force; the trace shows the values seen."""
        decision = engine(LEAVE).evaluate(
            {"kind": "sick", "requested_at": sh(2026, 1, 12, 13), "starts_at": sh(2026, 1, 13, 0, 30)})
        assert decision.violations[0].message.en == "asked after 12:00 on the shift date"
        text = decision.trace.render()
        assert "leave starts falls in a night shift (tr-rota rota)" in text
        assert "requested at is at or after 12:00 (night_cutoff) on the shift date of leave starts" in text
        assert "cutoff=2026-01-12 12:00:00+08:00" in text

    def test_a_later_cutoff_by_override(self):
        """A company may move the cutoff with an override, and the rule follows."""
        policy = loads_policy(LEAVE).with_params(night_cutoff="14:00")
        decision = Engine(policy).evaluate(
            {"kind": "sick", "requested_at": sh(2026, 1, 12, 13), "starts_at": sh(2026, 1, 12, 18)})
        assert decision.violations == ()


class TestWorkOrders:
    def test_escalates_after_24_hours(self):
        """An open work order escalates to the team lead once 24 hours have passed."""
        order = {"created_at": sh(2026, 1, 5, 9)}
        assert engine(WORK_ORDERS).evaluate(order, now=sh(2026, 1, 6, 8, 59)).escalations == ()
        escalated = engine(WORK_ORDERS).evaluate(order, now=sh(2026, 1, 6, 9))
        assert [e.to for e in escalated.escalations] == ["team_lead"]
        resolved = {**order, "resolved_at": sh(2026, 1, 5, 17)}
        assert engine(WORK_ORDERS).evaluate(resolved, now=sh(2026, 1, 8)).escalations == ()

    def test_now_in_another_zone(self):
        """The same now written in UTC gives the same answer."""
        now = sh(2026, 1, 6, 9).astimezone(UTC)
        assert engine(WORK_ORDERS).evaluate({"created_at": sh(2026, 1, 5, 9)}, now=now).escalations


class TestReplies:
    @pytest.mark.parametrize(("received", "due"), [
        (sh(2025, 9, 25, 10), sh(2025, 9, 29, 10)),   # Thursday: Fri, worked Sunday (调休), Mon
        (sh(2025, 9, 30, 10), sh(2025, 10, 11, 10)),  # before National Day: Oct 9, 10, worked Sat 11
        (sh(2025, 9, 30, 19), sh(2025, 10, 13, 9)),   # after hours: counting starts Oct 9 09:00
    ])
    def test_due_in_three_business_days(self, received, due):
        """The reply is due three business days after receipt, counted in the China calendar."""
        decision = engine(REPLIES).evaluate({"received_at": received})
        (obligation,) = decision.obligations
        assert (obligation.who, obligation.due) == ("agent", due)

    def test_three_clock_days_by_override(self):
        """With a clock-time override the calendar is not consulted."""
        policy = loads_policy(REPLIES).with_params(reply_within="3d")
        (obligation,) = Engine(policy).evaluate({"received_at": sh(2025, 9, 30, 10)}).obligations
        assert obligation.due == sh(2025, 10, 3, 10)

    def test_late_reply(self):
        """A reply after the due time is a violation; at the due time it is not."""
        late = engine(REPLIES).evaluate({"received_at": sh(2025, 9, 30, 10), "replied_at": sh(2025, 10, 11, 10, 1)})
        assert [v.code for v in late.violations] == ["RP-1"]
        on_time = engine(REPLIES).evaluate({"received_at": sh(2025, 9, 30, 10), "replied_at": sh(2025, 10, 11, 10)})
        assert on_time.violations == ()
        assert on_time.obligations == ()

    def test_business_due_needs_a_known_calendar(self):
        """A business due time without a calendar, or with an unknown one, is refused."""
        no_calendar = REPLIES.replace("param: reply_within, since: received_at, calendar: china",
                                      "after: 3 business days, since: received_at")
        with pytest.raises(PolicyError, match="counts business time: add calendar"):
            loads_policy(no_calendar)
        unknown = REPLIES.replace("calendar: china}", "calendar: cn-office}")
        with pytest.raises(PolicyError, match=r"unknown calendar 'cn-office' \(known: china"):
            loads_policy(unknown)
        param_only = REPLIES.replace("since: received_at, calendar: china}", "since: received_at}")
        with pytest.raises(PolicyError, match="needs a calendar"):
            engine(param_only)


class TestCallbacks:
    @pytest.mark.parametrize(("at", "rest", "violation"), [
        (sh(2026, 1, 8, 23), (time(22), time(7)), True),     # inside a window across midnight
        (sh(2026, 1, 8, 6, 59), (time(22), time(7)), True),
        (sh(2026, 1, 8, 7), (time(22), time(7)), False),
        (sh(2026, 1, 8, 13, 30), (time(13), time(14)), True),  # a nap after lunch
        (sh(2026, 1, 8, 21, 30), None, True),                  # no stated hours: quiet 21:00-09:00
        (sh(2026, 1, 8, 9), None, False),
        (sh(2026, 1, 8, 21, 30), (time(23), time(6)), False),  # stated hours replace the default
    ])
    def test_never_while_the_customer_rests(self, at, rest, violation):
        """A callback inside the customer's rest hours (or the default quiet hours) is refused."""
        customer = {} if rest is None else {"rest_from": rest[0], "rest_until": rest[1]}
        decision = engine(CALLBACKS).evaluate({"callback_at": at, "customer": customer})
        assert bool(decision.violations) is violation
        utc = engine(CALLBACKS).evaluate({"callback_at": at.astimezone(UTC), "customer": customer})
        assert utc.rule_ids == decision.rule_ids


class TestDuties:
    def test_report_by_the_22nd(self):
        """January's report is on time through 22 January, late from 00:00 on the 23rd."""
        assert engine(DUTIES).evaluate({"month": date(2026, 1, 1), "submitted_at": sh(2026, 1, 22, 23, 59)}).is_clean
        late = engine(DUTIES).evaluate({"month": date(2026, 1, 1), "submitted_at": sh(2026, 1, 23, 0, 0)})
        assert [v.code for v in late.violations] == ["DT-1"]
        assert "due=2026-01-22 23:59:59.999999+08:00" in late.trace.render()

    @pytest.mark.parametrize(("held", "wrong_day"), [
        (sh(2026, 1, 23, 15), False),   # the 25th is a Sunday: Friday the 23rd
        (sh(2026, 1, 16, 15), True),
        (sh(2026, 7, 24, 15), False),   # the 24th itself is the Friday before the 25th
        (sh(2026, 9, 18, 15), False),   # the 25th is a Friday: the Friday a week before
        (sh(2026, 9, 25, 15), True),
    ])
    def test_meeting_on_the_friday_before_the_25th(self, held, wrong_day):
        """The meeting is on the last Friday before the 25th."""
        decision = engine(MEETINGS).evaluate({"held_at": held})
        assert bool(decision.violations) is wrong_day


def test_policies_round_trip():
    """Every time policy dumps and loads back equal."""
    from csrules import dump_policy

    for text in (LEAVE, WORK_ORDERS, REPLIES, CALLBACKS, DUTIES, MEETINGS):
        policy = loads_policy(text)
        assert loads_policy(dump_policy(policy)) == policy


def _doc_blocks() -> list[object]:
    """The YAML blocks of docs/time.md, parsed."""
    import re
    from pathlib import Path

    import yaml

    text = (Path(__file__).parent.parent / "docs" / "time.md").read_text(encoding="utf-8")
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def test_docs_examples_are_the_tested_rules():
    """Every condition in docs/time.md parses, and every rule it shows is the tested one."""
    from pydantic import TypeAdapter

    from csrules import Condition, Rule

    tested = {rule.id: rule for text in (LEAVE, WORK_ORDERS, REPLIES, CALLBACKS, DUTIES, MEETINGS)
              for rule in loads_policy(text).rules}
    shown = 0
    for block in _doc_blocks():
        assert isinstance(block, dict)
        if "when" in block:
            TypeAdapter(Condition).validate_python(block["when"])
        for data in block.get("rules", []):
            rule = Rule(**data)
            assert rule.when == tested[rule.id].when, rule.id
            assert [e.type for e in rule.then] == [e.type for e in tested[rule.id].then]
            shown += 1
    assert shown == len(tested)
