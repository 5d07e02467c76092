"""The complaint lifecycle of CMP-1, with the reply deadline of CMP-4 and the callback
deadline of CB-1, ready to run in a session whose subject is one complaint.

Source: 001 第四篇 §三 投訴處理流程 (intake → judgement → proposals → approval → handling →
follow-up → archive; unfounded complaints are answered politely and closed), 003 篇17
第一條(1)3 (reply at most 3 days after the case is opened), 001 第四篇 §二 (callback within
3 days).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import AwareDatetime, ConfigDict

from csrules._policy.facts import register_fact_type
from csrules._sessions.lifecycle import Lifecycle
from csrules.domain.facts import Fact, Named, _field

__all__ = ["COMPLAINT_STATES", "ComplaintStep", "complaint_lifecycle"]

ComplaintEvent = Literal[
    "register", "judge", "propose", "approve", "reply", "handle", "follow_up", "archive", "close",
]

COMPLAINT_STATES = (
    "new", "intake", "founded", "unfounded", "proposed", "approved", "replied", "handled",
    "followed_up", "archived",
)
"""The states of the complaint lifecycle, in the order the flow visits them."""

# the roles whose approved_by approves a solution; a pack widens them to their aliases
_APPROVERS = ("department_head", "centre_director")

_LABELS: dict[str, dict[str, str]] = {
    # states, in the words of 001 第四篇 §三 投訴處理流程
    "new": {"en": "New", "zh": "新投訴"},
    "intake": {"en": "Taken in", "zh": "投訴受理"},
    "founded": {"en": "Founded", "zh": "投訴成立"},
    "unfounded": {"en": "Unfounded", "zh": "投訴不成立"},
    "proposed": {"en": "Solution proposed", "zh": "已提出處理方案"},
    "approved": {"en": "Solution approved", "zh": "方案已批示"},
    "replied": {"en": "Customer told the solution", "zh": "已答覆客戶"},
    "handled": {"en": "Handled", "zh": "已處理"},
    "followed_up": {"en": "Followed up", "zh": "已回訪"},
    "archived": {"en": "Archived", "zh": "已歸檔"},
    # events
    "register": {"en": "register", "zh": "登記受理"},
    "judge": {"en": "judge", "zh": "投訴判斷"},
    "propose": {"en": "propose a solution", "zh": "提出處理方案"},
    "approve": {"en": "approve", "zh": "主管批示"},
    "reply": {"en": "tell the customer the solution", "zh": "答覆客戶"},
    "handle": {"en": "handle", "zh": "處理"},
    "follow_up": {"en": "follow up", "zh": "回訪"},
    "archive": {"en": "archive", "zh": "歸檔"},
    "close": {"en": "close", "zh": "結案"},
}
"""Display names of the complaint lifecycle's states and events (documents show them)."""


@register_fact_type(name="complaint_step")
class ComplaintStep(Fact):
    """One step of a complaint: the ``event`` and what the step records.

    ``judge`` carries ``founded``; ``approve`` carries ``approved_by`` (the supervising
    leader); ``register`` carries the complainant. ``reply`` records that the customer was told
    the approved solution (CMP-4's reply), when that comes before the handling; a ``handle``
    straight after ``approve`` is the reply too. The CMP-4 and CB-1 deadlines run from the
    ``now`` a step is sent with, not from ``at``: a host replaying steps sends each with
    ``now`` set to its time. The flow does not judge what ``register``, ``at``,
    ``demand_reasonable`` or ``note`` record: they are kept with the step for the record, and
    the complaint register's contents are judged on the work order (CMP-1.register); the
    flow itself refuses a ``register`` without the complainant. Names and texts are read as
    work orders read them: surrounding spaces are dropped and blank text is refused.

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event: ComplaintEvent = _field("Event", "步驟", "the step taken")
    at: AwareDatetime | None = _field(
        "At", "時間", "when the step was taken, for the record: deadlines run from the now it is sent with", None
    )
    complainant: Named = _field("Complainant", "投訴人", "who complained", None)
    content: Named = _field("Content", "投訴內容", "what the complaint says, for the register", None)
    founded: bool | None = _field("Founded", "投訴成立", "whether the complaint is founded", None)
    demand_reasonable: bool | None = _field("Demand reasonable", "要求合理", "whether the demand is reasonable", None)
    approved_by: Named = _field("Approved by", "批示人", "the leader who approved the solution", None)
    note: str | None = _field("Note", "備註", "a free note", None)


def complaint_lifecycle(
    *, reply_within: str | Sequence[Mapping[str, str]] = "3d", callback_within: str | Sequence[Mapping[str, str]] = "3d"
) -> Lifecycle:
    """The CMP-1 complaint flow as a :class:`Lifecycle` over :class:`ComplaintStep` events.

    A deadline may be dated, ``[{"value": "3d"}, {"value": "1d", "since": "2026-06-30T16:00:00Z"}]``
    (see :class:`~csrules._sessions.lifecycle.StepDeadline`): a pack whose SLA target has
    dated versions gives it so, and each deadline runs the value in force when it starts.

    No step may be skipped: ``close`` is accepted only for an unfounded complaint, and a
    founded one goes through proposal, approval, handling and follow-up before ``archive``.

    The reply deadline (CMP-4, 003 篇17: 最多不超過三日) runs from intake until the customer has
    an answer: the polite answer of an unfounded complaint given at judgement (``unfounded``,
    001: 婉轉的方式答復客戶), or the approved solution told (``reply``, or ``handle`` when the two
    come together). A founded complaint is one whose answer could not be given at once (001
    asks the customer for time to investigate), so its deadline always runs; the handling
    itself has no deadline of its own.
    ``approve`` is accepted only with ``approved_by`` naming the department head or the centre
    director (主管領導, as the stateless CMP-1 rules read it), and ``register`` only with the
    ``complainant`` (投訴人, the register's first column). A pack reads ``approved_by`` against
    its catalogue: a role's id or one of its ``roles.yaml`` aliases; a name in no entry
    approves nothing (a company adds its own titles as aliases).

    .. versionadded:: 0.1
    """

    def founded(value: bool) -> dict[str, object]:
        return {"kind": "compare", "path": "founded", "op": "==", "value": value}

    return Lifecycle(
        id="cmp-1",
        version="1.0",
        title={"en": "Complaint handling flow", "zh": "投訴處理流程"},
        fact_type="complaint_step",
        initial="new",
        states=list(COMPLAINT_STATES),
        final=["archived"],
        citation={"source": "001", "section": "第四篇 §三 投訴處理流程"},
        transitions=[
            # 初步填寫《顧客投訴登記表》…如投訴人: a complaint is taken in with its complainant
            {"from": "new", "on": "register", "to": "intake", "guard": {"kind": "is_set", "path": "complainant"}},
            {"from": "intake", "on": "judge", "to": "founded", "guard": founded(True)},
            {"from": "intake", "on": "judge", "to": "unfounded", "guard": founded(False)},
            {"from": "unfounded", "on": "close", "to": "archived"},
            {"from": "founded", "on": "propose", "to": "proposed"},
            {"from": "proposed", "on": "approve", "to": "approved",
             "guard": {"kind": "in", "path": "approved_by", "value": list(_APPROVERS)}},
            # 待獲取解決方案後…盡快回復客戶: the reply with the approved solution, before handling
            # or, when the customer is told as the solution is carried out, by the handling itself
            {"from": "approved", "on": "reply", "to": "replied"},
            {"from": "replied", "on": "handle", "to": "handled"},
            {"from": "approved", "on": "handle", "to": "handled"},
            {"from": "handled", "on": "follow_up", "to": "followed_up"},
            {"from": "followed_up", "on": "archive", "to": "archived"},
        ],
        labels=_LABELS,
        deadlines=[
            {"id": "reply", "start": "intake", "met": ["unfounded", "replied", "handled", "archived"],
             "within": reply_within, "who": "agent",
             "action": {"en": "reply to the customer with a solution", "zh": "答覆客戶處理結果"},
             "breach": {"code": "CMP-4", "severity": "major",
                        "message": {"en": "no reply to the complaint within the deadline",
                                    "zh": "投訴未在期限內答覆"}},
             "citation": {"source": "003", "section": "篇17 第一條(1)3"}},
            {"id": "callback", "start": "handled", "met": ["followed_up", "archived"],
             "within": callback_within, "who": "agent",
             "action": {"en": "call the customer back", "zh": "回訪客戶"},
             # a 必保 duty (必須保證在三天之內回訪): major, as CB-1.overdue and CB-1.follow-up-late rate it
             "breach": {"code": "CB-1", "severity": "major",
                        "message": {"en": "no follow-up call within the deadline",
                                    "zh": "未在期限內回訪"}},
             "citation": {"source": "001", "section": "第四篇 §二"}},
        ],
    )
