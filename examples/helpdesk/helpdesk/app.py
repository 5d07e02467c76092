"""The application side: load the policy once, triage tickets with it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from csrules import Decision, Engine, load_policy
from helpdesk.models import Ticket

POLICY = load_policy(Path(__file__).with_name("policy.yaml"))
ENGINE = Engine(POLICY)


def triage(ticket: Ticket, now: datetime) -> Decision:
    """What the desk must do about ``ticket`` at ``now``."""
    return ENGINE.evaluate(ticket, now=now)
