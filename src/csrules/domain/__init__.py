"""The customer-service domain: fact models, role catalogues, escalation ladders and SLAs."""
from __future__ import annotations

from csrules.domain.facts import *  # noqa: F403  (temporary)
