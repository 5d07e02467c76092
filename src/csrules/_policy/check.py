"""Static checks a policy passes before anything runs.

Everything a policy says is checked against the fact model it names: field paths, the types
on both sides of every comparison, parameters, effect templates, due times, citations and
worked examples. The first problem raises a :class:`PolicyError` carrying the policy id, the
rule id and the location (``loc``) that the file loader turns into a line number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from csrules._policy.facts import get_fact_type, unknown_fields, validate_fact
from csrules._policy.kinds.base import CheckContext, check_condition_depth, check_of, walk
from csrules._policy.kinds.core import Contains
from csrules._policy.text import blank_phrase
from csrules._time.durations import BusinessDuration
from csrules.exceptions import FactError, PolicyError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from csrules._policy.model import Effect, Policy, Rule, Text

__all__ = ["check_policy"]


def check_policy(policy: Policy) -> set[str]:
    """Check ``policy`` completely; return the names of the parameters its rules use."""
    try:
        model = get_fact_type(policy.fact_type)
    except PolicyError as exc:
        raise exc.located(policy_id=policy.id, loc=("fact_type",)) from None
    _check_overrides(policy)
    source_ids: set[str] = set()
    for index, source in enumerate(policy.sources):
        if source.id in source_ids:
            raise PolicyError(
                f"duplicate source id {source.id!r}", policy_id=policy.id, loc=("sources", index, "id")
            )
        source_ids.add(source.id)
    seen: dict[str, int] = {}
    used: set[str] = set()
    for index, rule in enumerate(policy.rules):
        at = ("rules", index)
        if rule.id in seen:
            raise PolicyError(
                f"duplicate rule id (first used by rule #{seen[rule.id]})",
                policy_id=policy.id,
                rule_id=rule.id,
                loc=(*at, "id"),
            )
        seen[rule.id] = index
        ctx = CheckContext(
            model, dict(policy.params), loc=at, used_params=used, overrides=dict(policy.overrides)
        )
        try:
            _check_rule(rule, ctx, model, source_ids)
            _check_phrase_params(rule, policy.param_values, ctx)
        except PolicyError as exc:
            raise exc.located(policy_id=policy.id, rule_id=rule.id) from None
    return used


def _check_overrides(policy: Policy) -> None:
    typed: dict[str, Any] = {}
    for name, value in policy.overrides.items():
        if name not in policy.params:
            known = ", ".join(sorted(policy.params)) or "none declared"
            raise PolicyError(
                f"override of unknown parameter {name!r} (declared: {known})",
                policy_id=policy.id,
                loc=("overrides", name),
            )
        try:
            typed[name] = policy.params[name].coerce(value, name=f"parameter {name!r}")
        except ValueError as exc:
            raise PolicyError(str(exc), policy_id=policy.id, loc=("overrides", name)) from None
    # Overrides are stored typed, like defaults; the model is frozen, this runs while building.
    policy.overrides.update(typed)


def _check_rule(
    rule: Rule, ctx: CheckContext, model: type[BaseModel], source_ids: set[str]
) -> None:
    _check_placeholders(rule.title, ctx, "title")
    check_condition_depth(rule.when, (*ctx.loc, "when"))
    check_of(rule.when, ctx.at("when"))
    for index, effect in enumerate(rule.then):
        _check_effect(effect, ctx.at("then", index))
    if rule.citation is not None and source_ids and rule.citation.source not in source_ids:
        raise ctx.fail(
            f"citation names source {rule.citation.source!r}, which the policy does not list "
            f"(sources: {', '.join(sorted(source_ids))})",
            at=("citation", "source"),
        )
    _check_examples(rule, ctx, model)


def _check_phrase_params(rule: Rule, values: dict[str, Any], ctx: CheckContext) -> None:
    """A ``contains`` reading its phrases from a parameter needs them non-empty, as literal
    phrases must be: an empty phrase is in every text (a blank one in nearly every), so the
    rule would always hold."""
    for node in walk(rule.when):
        if isinstance(node, Contains) and node.param is not None:
            phrases = values.get(node.param, ())
            if isinstance(phrases, str):  # a str parameter is one phrase
                phrases = (phrases,)
            if not phrases or any(blank_phrase(phrase, node.fold) for phrase in phrases):
                raise ctx.fail(
                    f"parameter {node.param!r} gives contains no phrase or an empty one (blank is empty) "
                    f"(value in force: {list(phrases)!r})",
                    at=("when",),
                )


def _check_placeholders(text: Text, ctx: CheckContext, name: str) -> None:
    """Each ``{param}`` of ``text`` (a message, or a rule's title) names a declared parameter."""
    try:
        placeholders = text.placeholders()
    except ValueError as exc:
        raise ctx.fail(str(exc), at=(name,)) from None
    for placeholder in sorted(placeholders):
        if placeholder not in ctx.params:
            raise ctx.fail(
                f"text quotes {{{placeholder}}}, which is not a parameter "
                f"(declared: {', '.join(sorted(ctx.params)) or 'none'})",
                at=(name,),
            )
        ctx.used_params.add(placeholder)


def _check_effect(effect: Effect, ctx: CheckContext) -> None:
    for name in type(effect).model_fields:
        text = getattr(effect, name)
        if hasattr(text, "placeholders"):  # a Text (model imports this module: no isinstance)
            _check_placeholders(text, ctx, name)
    if effect.type == "obligation" and effect.due is not None:
        due = effect.due
        if due.since is not None:
            info = ctx.field(due.since, at="due")
            if info.kind != "datetime" or info.is_collection:
                raise ctx.fail(
                    f"due.since needs a datetime field; {due.since} is {info.describe()}",
                    at=("due", "since"),
                )
        if due.param is not None:
            ctx.param(due.param, "duration", at="due")
            for value, overridden in ctx.param_values(due.param):
                if due.calendar is None and isinstance(value, BusinessDuration):
                    raise ctx.fail_param(
                        f"due after {value} is business time and needs a calendar (add calendar: <name> to due)",
                        due.param, overridden, "due",
                    )


def _check_examples(rule: Rule, ctx: CheckContext, model: type[BaseModel]) -> None:
    keys = {effect.key for effect in rule.then}
    for index, example in enumerate(rule.examples):
        at = ("examples", index)
        # a session example is checked step by step, each step like a single-fact example
        parts: list[tuple[tuple[str | int, ...], dict[str, Any] | None, list[str]]] = [
            ((*at, "steps", i), s.fact, s.expect) for i, s in enumerate(example.steps or ())
        ]
        for where, fact, expect in parts or [(at, example.fact, example.expect or [])]:
            try:
                if fact is not None:
                    validate_fact(model, fact)
            except FactError as exc:
                raise ctx.fail(f"example fact does not validate: {exc}", at=(*where, "fact")) from None
            extra = unknown_fields(model, fact)
            if extra:  # the model would drop them: a misspelt field would go unseen
                raise ctx.fail(f"example fact has fields {model.__name__} does not hold: {', '.join(extra)} "
                               f"(fields: {', '.join(model.model_fields)})", at=(*where, "fact"))
            unknown = sorted(set(expect) - keys)
            if unknown:
                raise ctx.fail(
                    f"example expects {', '.join(unknown)}, which this rule cannot produce "
                    f"(its effects: {', '.join(sorted(keys))})",
                    at=(*where, "expect"),
                )
        if example.now is not None and example.now.tzinfo is None:
            raise ctx.fail("example now has no time zone", at=(*at, "now"))
