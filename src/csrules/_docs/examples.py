"""Which worked examples a document's policies no longer bear out.

A company pack (or ``load_pack(..., overrides=...)``) inherits its base's worked examples,
written for the base's parameters and calendar. Printed unchecked, an example of a tuned
rule can show as a violation what the pack's own engine judges clean. Every example is run
again through the engine of the policy as the document shows it; those that fail are
marked in the document and named in a warning.
"""

from __future__ import annotations

from collections.abc import Iterable

from csrules._engine.examples import CaseResult
from csrules._policy.model import Policy
from csrules._testing.examples import run_examples

__all__ = ["stale_examples"]


def stale_examples(policies: Iterable[Policy]) -> dict[str, CaseResult]:
    """The failing worked examples of ``policies``, by example id (``policy/rule#N (name)``);
    a policy whose engine cannot be built is one entry under the policy's id."""
    return {result.id: result for result in run_examples(policies) if not result.passed}
