"""Columnar forms of the domain models' own validators: the checks of the whole fact and the
derived fields, one function per fact type, each equal to the model's ``_derive`` (see
:mod:`csrules.domain.facts`) on every valid row.

Each takes the batch's typed columns (validated fields, nested models flattened to
``requester.skill_level``, lists of models to ``escalations.chase_record``), the batch's one
time zone and the list the whole-fact problems go to (in the order the model checks them:
pydantic stops at the first), and returns the columns with the derived fields added, or None
when a value cannot be computed exactly per column (the row engine then judges the batch).
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from csrules._audit.col_zone import local_wall
from csrules._time.clock import DAY_MICROS
from csrules.domain.facts import (
    ATTENDANCE_APPROVER_WITHOUT_APPROVAL,
    ATTENDANCE_ARRIVED_AFTER_END,
    ATTENDANCE_AWAY_TOO_LONG,
    ATTENDANCE_AWAY_WITHOUT_ARRIVAL,
    ATTENDANCE_LEFT_BEFORE_ARRIVAL,
    ATTENDANCE_LEFT_WITHOUT_ARRIVAL,
    ATTENDANCE_LONGEST_OVER_TOTAL,
    ID_SPACES,
    INVISIBLE_MARKS,
    ORDER_PAID_UNPAID,
    SALUTATION_MARKS,
    SALUTATIONS,
    job_type_key,
)

__all__ = ["FACT", "MODEL_FORMS", "Problem", "Problems"]

Problem = tuple[pl.DataFrame, pl.Expr, "str | pl.Expr", "str | pl.Expr"]
"""A check of a batch: the frame, which rows fail it, the field and the message (each a text,
or per row an expression)."""
Problems = list[Problem]
"""The checks of a batch."""

FACT = "(fact)"
"""Where a problem of the whole fact (a model validator's) is reported, as the row engine does."""

_MINUTE_US = 60_000_000
_EXACT_US = 2**52
"""Spans (in microseconds) below which whole minutes by integer division equal the model's
``int(span.total_seconds() // 60)`` (a float): larger ones go to the row engine."""


def _ordered(frame: pl.DataFrame, start: str, end: str, what: str, problems: Problems) -> None:
    problems.append((frame, pl.col(end) <= pl.col(start), FACT, f"{what} must end after it starts"))


def _shift(frame: pl.DataFrame, zone: str, problems: Problems) -> pl.DataFrame | None:
    """ShiftAssignment: a shift ends after it starts; the agent leaves no earlier than it starts."""
    _ordered(frame, "start", "end", "a shift", problems)
    _not_before(frame, "start", ("left_at",), problems)
    return frame


def _minutes(frame: pl.DataFrame, early: str, late: str) -> pl.Expr | None:
    """Whole minutes from ``early`` to ``late``, at least 0 (0 when ``late``/``early`` is
    missing), as ``max(0, int(span.total_seconds() // 60))``; None when a span is too long
    for that float to be read exactly."""
    span = (pl.col(late) - pl.col(early)).dt.total_microseconds()
    widest = frame.select(span.abs().max()).item()
    if widest is not None and widest >= _EXACT_US:
        return None
    return pl.max_horizontal(span // _MINUTE_US, pl.lit(0)).fill_null(0).cast(pl.Int64)


def _attendance(frame: pl.DataFrame, zone: str, problems: Problems) -> pl.DataFrame | None:
    """AttendanceRecord: times that agree; lateness and early leave in whole minutes, absence."""
    _ordered(frame, "shift_start", "shift_end", "a shift", problems)
    arrived = pl.col("arrived_at")
    shift_us = (pl.col("shift_end") - pl.col("shift_start")).dt.total_microseconds()
    problems += [(frame, arrived >= pl.col("shift_end"), FACT, ATTENDANCE_ARRIVED_AFTER_END),
                 (frame, arrived.is_null() & pl.col("left_at").is_not_null(), FACT, ATTENDANCE_LEFT_WITHOUT_ARRIVAL),
                 (frame, arrived.is_null() & (pl.col("away_minutes") > 0), FACT, ATTENDANCE_AWAY_WITHOUT_ARRIVAL),
                 (frame, pl.col("left_at") < arrived, FACT, ATTENDANCE_LEFT_BEFORE_ARRIVAL),
                 (frame, pl.col("away_minutes") * _MINUTE_US > shift_us, FACT, ATTENDANCE_AWAY_TOO_LONG),
                 (frame, pl.col("longest_away_minutes") > pl.col("away_minutes"), FACT, ATTENDANCE_LONGEST_OVER_TOTAL),
                 (frame, pl.col("away_approved_by").is_not_null() & ~pl.col("away_approved"), FACT,
                  ATTENDANCE_APPROVER_WITHOUT_APPROVAL)]
    late = _minutes(frame, "shift_start", "arrived_at")
    early = _minutes(frame, "left_at", "shift_end")
    if late is None or early is None:
        return None
    return frame.with_columns(late.alias("late_minutes"), early.alias("early_leave_minutes"),
                              pl.col("arrived_at").is_null().alias("absent"))


_SCRIPT = ("verify_identity", "introduce", "ask_convenience", "give_solution")


def _not_negative(frame: pl.DataFrame, problems: Problems) -> None:
    problems.append((frame, pl.col("duration") < pl.duration(), FACT, "a call cannot last a negative time"))


def _call(frame: pl.DataFrame, zone: str, problems: Problems) -> pl.DataFrame | None:
    """CallRecord: first and last lines, the offence number, the outbound script in order."""
    _not_negative(frame, problems)
    # the lines with text: a blank one, or one of invisible marks, is no line (the model's has_text)
    shown = pl.element().str.replace_all(INVISIBLE_MARKS, "").str.strip_chars(ID_SPACES) != ""
    lines = pl.col("agent_lines").list.eval(pl.element().filter(shown))
    done = pl.col("script_steps").list.eval(pl.element().filter(pl.element().is_in(list(_SCRIPT)))
                                            .unique(maintain_order=True))
    first = lines.list.first().fill_null("")
    bare = first.str.replace_all(INVISIBLE_MARKS, "").str.strip_chars(SALUTATION_MARKS).str.to_lowercase()
    return frame.with_columns(
        first.alias("greeting"),
        lines.list.last().fill_null("").alias("closing_line"),
        # the model's opening: the next line too after a line holding only a greeting
        pl.when(bare.is_in(list(SALUTATIONS))).then(lines.list.head(2).list.join("\n")).otherwise(first)
        .alias("opening"),
        (pl.col("prior_greeting_offences") + 1).alias("greeting_offence_number"),
        (done.list.join("\x00") == "\x00".join(_SCRIPT)).alias("script_in_order"),
    )


def _micros(clock: pl.Expr) -> pl.Expr:
    return clock.cast(pl.Int64) // 1000  # a Polars time of day counts nanoseconds


def _in_rest(frame: pl.DataFrame, at: str, zone: str, lasting: str | None = None) -> pl.Expr | None:
    """:func:`~csrules.domain.facts.in_rest_hours` of ``at`` per column; with ``lasting`` (a
    duration column), :func:`~csrules.domain.facts.call_in_rest_hours` of the call."""
    wall = local_wall(frame, pl.col(at), zone)
    if wall is None:
        return None
    rest_from, rest_to = _micros(pl.col("rest_from")), _micros(pl.col("rest_to"))
    rest = (rest_to - rest_from) % DAY_MICROS
    clock = _micros(wall.dt.time())
    inside = (clock - rest_from) % DAY_MICROS < rest
    if lasting is not None:
        ended = local_wall(frame, pl.col(at) + pl.col(lasting), zone)
        if ended is None:
            return None
        length = pl.col(lasting).dt.total_microseconds()
        crossed = (rest_from - clock) % DAY_MICROS < (ended - wall).dt.total_microseconds()
        reached = pl.when(length >= DAY_MICROS).then(True).when(length > 0).then(crossed).otherwise(False)
        inside = inside | ((rest > 0) & reached).fill_null(False)
    return inside.fill_null(False)


def _not_before(frame: pl.DataFrame, start: str, later: tuple[str, ...], problems: Problems) -> None:
    """Each of ``later`` (a list column: its earliest) no earlier than ``start``, as the model's ``_not_before``."""
    for name in later:
        value = pl.col(name).list.min() if name == "escalations.at" else pl.col(name)
        problems.append((frame, value < pl.col(start), FACT, f"{name} comes before {start}"))


def _callback(frame: pl.DataFrame, zone: str, problems: Problems) -> pl.DataFrame | None:
    """CallbackTask: no call, plan or agreed time before the task; both ends of the rest hours
    or neither; no negative call; whether the call made overlaps the rest hours and the call planned
    falls in them."""
    _not_before(frame, "created_at", ("called_at", "planned_at", "due_at"), problems)
    _not_negative(frame, problems)
    problems.append((frame, pl.col("rest_from").is_null() != pl.col("rest_to").is_null(), FACT,
                     "rest_from and rest_to are given together: rest hours need a start and an end"))
    called, planned = _in_rest(frame, "called_at", zone, "duration"), _in_rest(frame, "planned_at", zone)
    if called is None or planned is None:
        return None
    return frame.with_columns(called.alias("during_rest"), planned.alias("planned_during_rest"))


def _order(frame: pl.DataFrame, zone: str, problems: Problems) -> pl.DataFrame | None:
    """Order: paid and due to be confirmed no earlier than placed; chat changes not noted; a delay handled."""
    problems.append((frame, pl.col("paid_at") < pl.col("placed_at"), FACT,
                     "an order cannot be paid before it is placed"))
    paid, given = pl.col("paid_at").is_not_null(), pl.col("__status_given")
    problems.append((frame, paid & given & (pl.col("status") == "unpaid"), FACT, ORDER_PAID_UNPAID))
    _not_before(frame, "placed_at", ("auto_confirm_at",), problems)
    kind = frame.schema["status"]  # not given: paid once paid_at is, as the model derives it
    status = pl.when(given).then(pl.col("status")).when(paid).then(pl.lit("paid", kind)).otherwise(
        pl.lit("unpaid", kind))
    unnoted = pl.col("chat_changes.noted").list.eval(pl.element().not_()).list.sum()
    handled = pl.col("logistics_contacted") & pl.col("customer_notified")
    return frame.with_columns(unnoted.cast(pl.Int64).alias("unnoted_changes"), status.alias("status"),
                              handled.alias("delay_handled"))


def _work_order(frame: pl.DataFrame, zone: str, problems: Problems) -> pl.DataFrame | None:
    """WorkOrder: the approved proposal exists; whether an answer is awaited (deferred or time
    asked for); hand-offs without a chase record, counts, the role of the last hand-off made by the
    resolution."""
    proposals = pl.col("proposals").list.len().cast(pl.Int64)
    problems.append((frame, pl.col("approved_proposal") >= proposals, FACT, "approved_proposal does not exist"))
    _not_before(frame, "opened_at", ("escalations.at", "solution_at", "replied_at", "resolved_at", "follow_up_at"),
                problems)
    _not_before(frame, "resolved_at", ("follow_up_at",), problems)
    chases = pl.col("escalations.chase_record")
    untraced = chases.list.eval(pl.element().is_null() | (pl.element() == "")).list.sum()
    awaited = pl.col("answer_deferred") | pl.col("customer_asked_for_time")
    return frame.with_columns(
        awaited.fill_null(False).alias("answer_awaited"),
        untraced.cast(pl.Int64).alias("untraced_handoffs"),
        proposals.alias("proposal_count"),
        chases.list.len().cast(pl.Int64).alias("escalation_count"),
        _last_handoff().alias("handed_to"),
    )


def _last_handoff() -> pl.Expr:
    """The ``to_role`` of the last hand-off made by ``resolved_at`` (each while unresolved), as
    the model's ``handed_to``: instants compared in microseconds since the epoch."""
    lead = pl.col("escalations.at").list.eval(pl.element().dt.epoch("us")) - pl.col("resolved_at").dt.epoch("us")
    made = lead.list.eval((pl.element() <= 0).fill_null(True))
    return pl.col("escalations.to_role").list.get(made.list.eval(pl.element().arg_true()).list.last(),
                                                  null_on_oob=True)


def _swap(frame: pl.DataFrame, zone: str, problems: Problems) -> pl.DataFrame | None:
    """ShiftSwapRequest: not with oneself; swap numbers, skill gap, holiday; each shift lead's
    yes/no read from the three-way answer (a yes/no the input gives is the model's to check:
    such a batch never reaches here)."""
    problems.append((frame, pl.col("requester.agent_id") == pl.col("partner.agent_id"), FACT,
                     "an agent cannot swap with themself"))
    return frame.with_columns(
        *((pl.col(f"{side}_lead_decision") == "agreed").alias(f"{side}_lead_approved")
          for side in ("requester", "partner")),
        (pl.col("swaps_this_month") + 1).alias("swap_number"),
        (pl.col("partner_swaps_this_month") + 1).alias("partner_swap_number"),
        (pl.col("requester.skill_level") - pl.col("partner.skill_level")).abs().alias("skill_gap"),
        (pl.col("requester_shift.on_holiday") | pl.col("partner_shift.on_holiday")).alias("on_holiday"),
        (_job_keys(frame, "requester.job_type") == _job_keys(frame, "partner.job_type")).alias("same_job_type"),
        pl.any_horizontal(_agreed_by_a_party(side) for side in ("requester", "partner")).alias("own_approval"),
    )


def _agreed_by_a_party(side: str) -> pl.Expr:
    """Whether ``side``'s shift lead agreed and is the requester or the partner."""
    lead = pl.col(f"{side}_lead")
    party = (lead == pl.col("requester.agent_id")) | (lead == pl.col("partner.agent_id"))
    return ((pl.col(f"{side}_lead_decision") == "agreed") & party).fill_null(False)


def _job_keys(frame: pl.DataFrame, column: str) -> pl.Expr:
    """Each job type of ``column`` as the model compares it (:func:`~csrules.domain.facts.job_type_key`),
    each distinct job type folded once."""
    jobs = frame.select(pl.col(column).unique().drop_nulls()).to_series().to_list()
    return pl.col(column).replace_strict(jobs, [job_type_key(job) for job in jobs], default=None,
                                         return_dtype=pl.String)


MODEL_FORMS: dict[str, Callable[[pl.DataFrame, str, Problems], pl.DataFrame | None]] = {
    "shift_assignment": _shift,
    "attendance_record": _attendance,
    "call_record": _call,
    "callback_task": _callback,
    "order": _order,
    "work_order": _work_order,
    "shift_swap": _swap,
}
"""The columnar form of each built-in fact type's model validator but leave requests'."""
