"""A private durable-rules host: dict rulesets, no threads, transient facts, checked calls.

durable-rules is imported here lazily (inside :func:`open_host`), never when csrules is
imported, so csrules installs and runs where durable-rules does not build.

Every call follows the same discipline, which closes the hazards measured in
``DURABLE-NOTES``:

- messages are **facts asserted and retracted in the same call**, never events, so every
  matching rule fires (an event fires only its first) and nothing is left pending to fire
  later against facts that arrive afterwards;
- actions are not run by durable: the host reads which rules matched from the engine and
  completes them itself, so no exception is swallowed into durable's state;
- after every call the session's facts, pending events and state are checked to be empty
  and clean; anything left over is an integrity error, and the ruleset is replaced by a
  fresh copy;
- one session id per host, empty between calls, so the 1,024-live-state limit is never
  approached (and ``delete_state``, which crashed durable in long runs, is never needed);
- ``MessageNotHandledException`` and ``MessageObservedException`` never arise, because
  the engine's return codes are read directly.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterable
from typing import Any

from csrules.exceptions import SessionError

__all__ = ["SID", "DurableHost", "open_host"]

SID = "csrules"
"""The one durable session id a host uses; it holds nothing between calls."""

_NOT_HANDLED = 1
_OBSERVED = 2


class DurableHost:
    """One registered ruleset on a thread-free durable host, driven synchronously."""

    def __init__(self, name: str, ruleset: dict[str, Any]) -> None:
        import durable_rules_engine
        from durable import engine

        self._c = durable_rules_engine
        self._host = _host_class(engine)()
        self._definition = copy.deepcopy(ruleset)
        self._base = name
        self._generation = 0
        self._dumps = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode
        self.closed = False
        self.sid = SID
        self._register()

    def _register(self) -> None:
        self.name = self._base if not self._generation else f"{self._base}_{self._generation}"
        try:
            self._host.register_rulesets({self.name: copy.deepcopy(self._definition)})
        except Exception as exc:  # an invalid ruleset is our compiler's fault: say so
            raise SessionError(
                f"durable-rules refused the compiled ruleset {self.name!r}: {exc}") from exc
        self._ruleset = self._host.get_ruleset(self.name)
        self._handle = self._ruleset._handle

    # ------------------------------------------------------------------ calls

    def fire_names(self, fact: dict[str, Any]) -> list[str]:
        """Assert one fact, return the names of the rules that fire, retract it (the fast
        path for events: only rule names are needed, not the matched messages)."""
        return [text[2:text.index('"', 2)] for text in self._fire([fact])]

    def fire(self, facts: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Assert ``facts`` one by one, collect every rule that fires, then retract them all.

        Returns the fired actions as ``{rule name: {alias: message}}`` mappings, in firing
        order. The host is checked clean afterwards.
        """
        return [json.loads(text) for text in self._fire(facts)]

    def _fire(self, facts: Iterable[dict[str, Any]]) -> list[str]:
        if self.closed:
            raise SessionError("this session engine is closed")
        c = self._c
        handle = self._handle
        fired: list[str] = []
        asserted: list[str] = []
        try:
            for fact in facts:
                fact["sid"] = self.sid
                text = self._dumps(fact)
                code, state = c.assert_fact(handle, text)
                if code == _OBSERVED:
                    raise SessionError(f"durable-rules saw a message twice: {text}")
                if code == _NOT_HANDLED:
                    continue  # matches no pattern: not stored, nothing to retract or fire
                asserted.append(text)
                self._drain(state, fired)
            for text in reversed(asserted):
                code, state = c.retract_fact(handle, text)
                if code == 0:
                    self._drain(state, fired, on_retract=True)
        except SessionError:
            self.wipe()
            raise
        except Exception as exc:
            self.wipe()
            raise SessionError(f"durable-rules failed while matching: {exc!r}") from exc
        self.check_clean()
        return fired

    def _drain(self, state: int, fired: list[str], *, on_retract: bool = False) -> None:
        c = self._c
        result = c.start_action_for_state(self._handle, state)
        while result:
            message: str = result[1] if isinstance(result, tuple | list) else result
            if on_retract:
                raise SessionError(f"a retraction fired rules, which csrules never compiles: {message}")
            fired.append(message)
            result = c.complete_and_start_action(self._handle, state)

    def check_clean(self) -> None:
        """Raise :class:`SessionError` (after wiping) when durable holds anything after a call:
        a fact, a pending event, or an exception swallowed into the state."""
        c = self._c
        try:
            facts = c.get_facts(self._handle, self.sid)
            events = c.get_events(self._handle, self.sid)
            state = c.get_state(self._handle, self.sid)
        except c.error as exc:
            if "309" in str(exc):  # no state for the id at all: nothing was ever kept
                return
            raise SessionError(f"durable-rules could not report its state: {exc}") from exc
        problems = []
        if facts.strip() != "[]":
            problems.append(f"facts left behind: {facts}")
        if events.strip() != "[]":
            problems.append(f"events left pending: {events}")
        if '"exception"' in state:
            problems.append(f"an action raised: {json.loads(state).get('exception')}")
        if problems:
            self.wipe()
            raise SessionError("durable-rules is not clean after a call; " + "; ".join(problems))

    def wipe(self) -> None:
        """Drop everything durable holds by replacing the ruleset with a fresh copy.

        durable's ``delete_state`` is not used: after long runs of asserted and retracted
        facts it crashed the process (segmentation fault) in this suite, while deleting and
        re-creating a ruleset did not.
        """
        self._free()
        self._generation += 1
        self._register()

    def _free(self) -> None:
        self._host._ruleset_directory.pop(self.name, None)
        if self._ruleset in self._host._ruleset_list:
            self._host._ruleset_list.remove(self._ruleset)
        with contextlib.suppress(Exception):
            self._c.delete_ruleset(self._handle)

    def inject(self, fact: dict[str, Any], *, event: bool = False) -> None:
        """Leave a message in durable on purpose (tests of the clean check use it)."""
        fact["sid"] = self.sid
        text = self._dumps(fact)
        if event:
            self._c.assert_event(self._handle, text)
        else:
            self._c.assert_fact(self._handle, text)

    def close(self) -> None:
        """Free the ruleset in durable (idempotent)."""
        if self.closed:
            return
        self.closed = True
        self._free()


_HOST_CLASS: list[type] = []


def _host_class(engine: Any) -> type:
    """``engine.Host`` without its timer threads (built once, after durable is imported)."""
    if not _HOST_CLASS:

        class PrivateHost(engine.Host):  # type: ignore[misc]
            """A durable host that starts no threads and resolves no named actions."""

            def _run(self) -> None:
                """Start nothing: no dispatch or timer threads, ever."""

            def get_action(self, action_name: str) -> Any:
                """Actions are completed by :class:`DurableHost`, never run by durable."""
                return _no_action

        _HOST_CLASS.append(PrivateHost)
    return _HOST_CLASS[0]


def _no_action(c: Any) -> None:
    """The action every compiled rule names; durable never runs it (the host drains rules)."""
    del c


def open_host(name: str, ruleset: dict[str, Any]) -> DurableHost:
    """Register ``ruleset`` under ``name`` on a new private host."""
    return DurableHost(name, ruleset)
