"""The one error an audit raises for unusable input or an unfinished run."""

from __future__ import annotations

from csrules.exceptions import EvaluationError

__all__ = ["AuditError"]


class AuditError(EvaluationError):
    """The audit cannot run or did not finish: a file that cannot be read, a missing or
    mistyped column, a worker that died. The message names the file, column or rows.

    An audit that raises this wrote no report: a partial audit is never reported complete.

    .. versionadded:: 0.1
    """
