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
- every rule durable reports must be for a message of the same call (an action's text
  holds the message it matched); one for any other message is an integrity error;
- after every call durable accepted, its state is checked for an exception swallowed into
  it: in the state text durable hands back with the first rule that fires, else by one
  cheap C call. A call durable refused outright (``NOT_HANDLED``) ran nothing and changed
  no state, so it needs no check: an exception put there otherwise (only durable's own
  action runner writes one, and csrules never lets it run) is found by the next accepted
  call, before that call's answer is used. Its facts and pending events (a scan of the
  session's message index, five times the cost) are checked to be empty after every tick
  or lifecycle call durable accepted, after every 64th event it accepted, and at once
  after anything unusual: a rule fired for a message the call did not send, a retraction
  that failed, or anything left in durable on purpose (see :meth:`DurableHost.inject`).
  Between two scans a left-over
  message cannot change an answer: every rule is one pattern over one transient message, so
  a message left behind completes no other message's match, and a rule it fires is caught
  by the check above. A call whose every message durable refused (``NOT_HANDLED``: it
  matched no pattern, so nothing was stored, nothing fired and nothing needs retracting)
  cannot have left anything behind. Anything left over is an integrity error, and the
  ruleset is replaced by a fresh copy;
- one session id per host, empty between calls, so the 1,024-live-state limit is never
  approached (and ``delete_state``, which crashed durable in long runs, is never needed);
- ``MessageNotHandledException`` and ``MessageObservedException`` never arise, because
  the engine's return codes are read directly.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterable, Iterator
from typing import Any

from csrules.exceptions import SessionError

__all__ = ["SID", "DurableHost", "DurableLimitError", "open_host"]

SID = "csrules"
"""The one durable session id a host uses; it holds nothing between calls."""

_NOT_HANDLED = 1
_OBSERVED = 2
_LIMITS = ("error code: 302", "error code: 303")  # too many keys; too many tests passing at once
_SCAN_EVERY = 64  # accepted event calls between two scans of durable's facts and events


class DurableLimitError(SessionError):
    """durable-rules refused a message for one of its fixed limits (the number of keys in a
    message, or of tests one message passes at once); the caller may judge it otherwise."""


def _failure(exc: Exception) -> SessionError:
    """The csrules error for an exception durable-rules raised while matching."""
    limit = any(code in str(exc) for code in _LIMITS)
    return (DurableLimitError if limit else SessionError)(
        f"durable-rules failed while matching: {exc!r}")


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
        self._dirty = False  # something may sit in durable outside a call: check it all
        self._accepted = 0  # calls durable accepted since facts and events were last scanned
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

    def encode(self, fact: dict[str, Any]) -> str:
        """The JSON text durable receives for ``fact`` (the host's session id added)."""
        fact["sid"] = self.sid
        return self._dumps(fact)

    def fire_names(self, text: str) -> list[str]:
        """Assert one message (JSON text from :meth:`encode` or an encoder producing the same
        form), return the names of the rules that fire, and retract it: the fast path for
        events, which need rule names only, not the matched messages.

        Written out rather than through :meth:`_matching` (same failure handling): this is
        the per-event path.
        """
        if self.closed:
            raise SessionError("this session engine is closed")
        c = self._c
        handle = self._handle
        names: list[str] = []
        strays: list[str] = []
        try:
            code, state = c.assert_fact(handle, text)
            if code == _NOT_HANDLED:  # not stored, nothing fired or to retract, no state changed
                if not self._dirty:
                    return names
                full = False
            else:
                if code == _OBSERVED:
                    raise SessionError(f"durable-rules saw a message twice: {text}")
                mine = f':{{"m":{text}}}}}'  # an action names its rule and holds the message
                first = result = c.start_action_for_state(handle, state)
                while result:
                    action: str = result[1] if type(result) is not str else result
                    if action.endswith(mine):
                        names.append(action[2:action.index('"', 2)])  # '{"<rule name>":{"m":...}}'
                    else:
                        strays.append(action)
                    result = c.complete_and_start_action(handle, state)
                code, state = c.retract_fact(handle, text)
                if code == 0 and c.start_action_for_state(handle, state):
                    raise SessionError("a retraction fired rules, which csrules never compiles")
                self._accepted += 1
                # The scan of facts and events runs every _SCAN_EVERY accepted calls, and
                # at once after anything unusual (see the module docstring).
                full = code != 0 or self._accepted >= _SCAN_EVERY
                # the state comes with the first action ((state, action)): no call to read it
                shown = first[0] if first and type(first) is not str else None
                if not (full or strays or self._dirty) and (
                        self._state_is_clean() if shown is None else '"exception"' not in shown):
                    return names
        except SessionError:
            self.wipe()
            raise
        except Exception as exc:
            self.wipe()
            raise _failure(exc) from exc
        self.check_clean(full=full or self._dirty, strays=strays)
        return names

    def _state_is_clean(self) -> bool:
        """The state check of every call: no exception swallowed into durable's state (the
        assert created the state if needed; when it cannot be read, :meth:`check_clean`
        judges)."""
        try:
            return '"exception"' not in self._c.get_state(self._handle, self.sid)
        except self._c.error:
            return False

    def fire(self, facts: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Assert ``facts`` one by one, collect every rule that fires, then retract them all.

        Returns the fired actions as ``{rule name: {alias: message}}`` mappings, in firing
        order. The host is checked clean afterwards.
        """
        return [json.loads(text) for text in self.fire_texts([self.encode(f) for f in facts])]

    def fire_texts(self, texts: Iterable[str]) -> list[str]:
        """:meth:`fire` for messages already encoded; returns the fired actions' JSON texts."""
        fired: list[str] = []
        asserted: list[str] = []
        with self._matching() as c:
            for text in texts:
                code, state = self._assert(text)
                if code == _NOT_HANDLED:
                    continue  # matches no pattern: not stored, nothing to retract or fire
                asserted.append(text)
                self._drain(state, fired)
            sent = set(asserted)
            strays = [action for action in fired if _message(action) not in sent]
            for text in reversed(asserted):
                code, state = c.retract_fact(self._handle, text)
                if code == 0:
                    self._drain(state, fired, on_retract=True)
        self.check_clean(full=bool(asserted or fired) or self._dirty, strays=strays)
        return fired

    @contextlib.contextmanager
    def _matching(self) -> Iterator[Any]:
        """durable's module for one call; a failure inside wipes durable and raises
        :class:`SessionError` (:class:`DurableLimitError` at one of its limits)."""
        if self.closed:
            raise SessionError("this session engine is closed")
        try:
            yield self._c
        except SessionError:
            self.wipe()
            raise
        except Exception as exc:
            self.wipe()
            raise _failure(exc) from exc

    def _assert(self, text: str) -> tuple[int, int]:
        code, state = self._c.assert_fact(self._handle, text)
        if code == _OBSERVED:
            raise SessionError(f"durable-rules saw a message twice: {text}")
        return code, state

    def _drain(self, state: int, fired: list[str], *, on_retract: bool = False) -> None:
        c = self._c
        result = c.start_action_for_state(self._handle, state)
        while result:
            message: str = result[1] if isinstance(result, tuple | list) else result
            if on_retract:
                raise SessionError(f"a retraction fired rules, which csrules never compiles: {message}")
            fired.append(message)
            result = c.complete_and_start_action(self._handle, state)

    def check_clean(self, *, full: bool = True, strays: list[str] | None = None) -> None:
        """Raise :class:`SessionError` (after wiping) when durable holds anything after a call:
        an exception swallowed into the state, and (``full``) a fact or a pending event; or
        when it reported ``strays``, rules fired for messages the call did not send.

        The state is one small string and always read; facts and events take a scan of the
        session's message index each, so calls that durable refused outright skip them (see
        the module docstring).
        """
        c = self._c
        handle = self._handle
        try:
            state = c.get_state(handle, self.sid)
            if not full and not strays and '"exception"' not in state:
                return
            facts = c.get_facts(handle, self.sid)
            events = c.get_events(handle, self.sid)
        except c.error as exc:
            if "309" in str(exc) and not strays:  # no state for the id: nothing was ever kept
                self._dirty = False
                return
            self.wipe()
            raise SessionError(f"durable-rules could not report its state: {exc}") from exc
        problems = []
        if strays:
            problems.append(f"rules fired for messages of no call: {', '.join(strays)}")
        if facts.strip() != "[]":
            problems.append(f"facts left behind: {facts}")
        if events.strip() != "[]":
            problems.append(f"events left pending: {events}")
        if '"exception"' in state:
            problems.append(f"an action raised: {json.loads(state).get('exception')}")
        if problems:
            self.wipe()
            raise SessionError("durable-rules is not clean after a call; " + "; ".join(problems))
        self._dirty = False
        self._accepted = 0

    def wipe(self) -> None:
        """Drop everything durable holds by replacing the ruleset with a fresh copy.

        durable's ``delete_state`` is not used: after long runs of asserted and retracted
        facts it crashed the process (segmentation fault) in this suite, while deleting and
        re-creating a ruleset did not.
        """
        self._free()
        self._generation += 1
        self._dirty = False  # a fresh ruleset holds nothing
        self._register()

    def _free(self) -> None:
        self._host._ruleset_directory.pop(self.name, None)
        if self._ruleset in self._host._ruleset_list:
            self._host._ruleset_list.remove(self._ruleset)
        with contextlib.suppress(Exception):
            self._c.delete_ruleset(self._handle)

    def inject(self, fact: dict[str, Any], *, event: bool = False) -> None:
        """Leave a message in durable on purpose (tests of the clean check use it)."""
        text = self.encode(fact)
        self._dirty = True
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


def _message(action: str) -> str:
    """The message of a fired action's text, ``{"<rule name>":{"m":<message>}}``."""
    start = action.find(':{"m":')
    return action[start + 6:-2] if start >= 0 and action.endswith("}}") else ""


def _no_action(c: Any) -> None:
    """The action every compiled rule names; durable never runs it (the host drains rules)."""
    del c


def open_host(name: str, ruleset: dict[str, Any]) -> DurableHost:
    """Register ``ruleset`` under ``name`` on a new private host."""
    return DurableHost(name, ruleset)
