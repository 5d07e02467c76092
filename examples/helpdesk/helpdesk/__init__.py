"""A tiny help desk: tickets are triaged by a csrules policy (``policy.yaml``)."""

from __future__ import annotations

from helpdesk.app import ENGINE, POLICY, triage
from helpdesk.models import Customer, Ticket

__all__ = ["ENGINE", "POLICY", "Customer", "Ticket", "triage"]
