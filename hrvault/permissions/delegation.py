"""The one delegation rule: nobody hands out, or weakens, a power they do not hold.

Every operation that grants, consents, assigns or defines powers (roles, role membership,
document categories, partner consent and its tokens, support grants) and every operation
that acts on someone else's powers or safeguards (another user's second factor or roles,
a role's TOTP requirement, the tenant's session limits) asks ``decide_delegation`` before
it writes. The answer is a decision with a machine reason and the exact powers missing,
so a refusal says why without anyone re-deriving it.

Two acts, one comparison:

- ``HANDS_OUT``: the powers being given must all be held by the caller, at a scope that
  covers the one given in someone else's hands (``Grant.covers``: only "everyone" does,
  since every other scope is relative to its holder): otherwise
  ``delegation_exceeds_own_powers``.
- ``ACTS_ON``: the caller must hold every power the target holds, so nobody gains by
  weakening someone stronger: otherwise ``target_holds_more_powers``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from hrvault.errors import Forbidden
from hrvault.permissions.grants import Grant
from hrvault.permissions.policy import Policy
from hrvault.vocabulary import Ability

logger = logging.getLogger("hrvault.permissions")


class Act(StrEnum):
    """What a delegating operation does with powers."""

    HANDS_OUT = "hands_out"
    """Grants, consents to, assigns or defines powers for someone else."""
    ACTS_ON = "acts_on"
    """Changes or weakens a principal's or a role's powers or safeguards."""


class DelegationReason(StrEnum):
    WITHIN_OWN_POWERS = "within_own_powers"
    EXCEEDS_OWN_POWERS = "delegation_exceeds_own_powers"
    TARGET_HOLDS_MORE = "target_holds_more_powers"


@dataclass(frozen=True)
class Powers:
    """Grants and abilities as values: what a role, a user, a consent or a grant carries."""

    grants: frozenset[Grant] = frozenset()
    abilities: frozenset[Ability] = frozenset()

    @classmethod
    def of(cls, grants: Iterable[Grant] = (), abilities: Iterable[Ability] = ()) -> Powers:
        return cls(frozenset(grants), frozenset(abilities))

    def __or__(self, other: Powers) -> Powers:
        return Powers(self.grants | other.grants, self.abilities | other.abilities)


NOTHING = Powers()


def describe_grant(grant: Grant) -> str:
    """``action:group:scope`` (``+former`` when former employees are included)."""
    text = f"{grant.action.value}:{grant.field_group.value}:{grant.scope.value}"
    return text + ("+former" if grant.include_former else "")


@dataclass(frozen=True)
class DelegationDecision:
    allowed: bool
    reason: DelegationReason
    missing: tuple[str, ...] = ()
    """The powers the caller lacks, as ``action:group:scope`` or ``ability:name``."""

    def __bool__(self) -> bool:
        return self.allowed


def decide_delegation(held: Policy, wanted: Powers, act: Act) -> DelegationDecision:
    """Whether the holder of ``held`` may hand out (or act on a holder of) ``wanted``."""
    missing = sorted(describe_grant(g) for g in wanted.grants if not held.holds(g))
    missing += sorted(f"ability:{a.value}" for a in wanted.abilities if not held.has_ability(a))
    if not missing:
        return DelegationDecision(True, DelegationReason.WITHIN_OWN_POWERS)
    reason = (
        DelegationReason.EXCEEDS_OWN_POWERS
        if act is Act.HANDS_OUT
        else DelegationReason.TARGET_HOLDS_MORE
    )
    return DelegationDecision(False, reason, tuple(missing))


def require_delegation(held: Policy, wanted: Powers, act: Act, operation: str) -> None:
    """Raise ``Forbidden`` (typed reason, missing powers) unless the decision allows it."""
    decision = decide_delegation(held, wanted, act)
    if decision:
        return
    logger.info(
        "refused %s: %s (%s)", operation, decision.reason.value, ", ".join(decision.missing)
    )
    doing = "hand out" if act is Act.HANDS_OUT else "act on someone who holds"
    raise Forbidden(
        f"{operation}: you cannot {doing} powers you do not hold yourself",
        reason=decision.reason.value,
        missingPowers=list(decision.missing),
    )
