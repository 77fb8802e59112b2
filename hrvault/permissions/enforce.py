"""Checks that mutations make before they write; a denial names what was denied."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from hrvault.errors import Forbidden
from hrvault.permissions.policy import Policy, Subject
from hrvault.vocabulary import Ability, Action, FieldGroup, Scope

logger = logging.getLogger("hrvault.permissions")


def _denied(groups: Iterable[FieldGroup], action: Action, reasons: list[str]) -> Forbidden:
    names = sorted({g.value for g in groups})
    logger.info("denied %s on %s: %s", action.value, ", ".join(names), "; ".join(reasons))
    return Forbidden(
        f"not allowed to {action.value} {', '.join(names)} for this person",
        deniedFieldGroups=names,
        action=action.value,
        reason="field_group_denied",
    )


def require(policy: Policy, subject: Subject, action: Action, groups: Iterable[FieldGroup]) -> None:
    """Allow the write only if every group may take ``action`` for this person."""
    decisions = [(group, policy.decide(subject, group, action)) for group in set(groups)]
    refused = [(group, d) for group, d in decisions if not d.allowed]
    if refused:
        raise _denied((g for g, _ in refused), action, [d.reason for _, d in refused])


def require_for_anyone(policy: Policy, action: Action, groups: Iterable[FieldGroup]) -> None:
    """For a person who does not exist yet: only a grant for everyone covers them."""
    groups = set(groups)
    refused = [
        g
        for g in groups
        if not any(
            s.grant.scope is Scope.ALL
            for s in policy.sources
            if (s.grant.field_group, s.grant.action) == (g, action)
        )
    ]
    if refused:
        raise _denied(refused, action, ["only a grant for everyone covers a new person"])


def require_ability(policy: Policy, *abilities: Ability) -> None:
    if not policy.has_ability(*abilities):
        names = " or ".join(a.value for a in abilities)
        logger.info("denied: needs ability %s", names)
        raise Forbidden(
            f"this needs the {names} ability",
            requiredAbility=[a.value for a in abilities],
            reason="missing_ability",
        )
