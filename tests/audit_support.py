"""A fact type for audit tests whose validation can kill the process judging it (a worker
killed mid-run), and the engine over it. Importable by spawned workers by name."""

from __future__ import annotations

import os
import signal

from pydantic import BaseModel, field_validator

from csrules import Engine
from csrules._policy.facts import register_fact_type
from csrules._policy.loader import loads_policy

KILL = -1
"""A ``value`` that kills the process validating it."""


@register_fact_type(name="audit_probe")
class Probe(BaseModel):
    """A fact whose ``value`` of :data:`KILL` kills the worker validating it."""

    agent_id: str
    value: int

    @field_validator("value")
    @classmethod
    def _die(cls, value: int) -> int:
        if value == KILL:
            os.kill(os.getpid(), signal.SIGKILL)
        return value


POLICY = loads_policy(
    """
id: probe
version: "1"
title: {en: Probe, zh: 探針}
fact_type: audit_probe
rules:
  - id: PRB-1
    title: {en: big values, zh: 大值}
    when: {kind: compare, path: value, op: ">", value: 5}
    then:
      - {type: violation, code: PRB-1, message: {en: big, zh: 大}}
""",
    name="probe.yaml",
)


def probe_engine() -> Engine:
    """An engine judging probes."""
    return Engine([POLICY])
