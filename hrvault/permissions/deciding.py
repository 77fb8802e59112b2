"""Who may decide a request: never the person it is about, nor whoever made it what it is.

A grant of ``approve`` says whose requests a viewer may decide; this rule, per request,
names the ones they still may not. Without it an approver approves their own absence, or
files one for a colleague (or edits the colleague's) and approves it too: a decision
needs a second person, the one who did not ask.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from hrvault.errors import Forbidden
from hrvault.permissions.policy import Decision, Policy, Subject
from hrvault.vocabulary import Action, FieldGroup

logger = logging.getLogger("hrvault.permissions")

OWN_RECORD = "own_record"
"""The decider is the person the request is about."""
OWN_REQUEST = "own_request"
"""The decider made the request, or last changed what it asks for."""


@dataclass(frozen=True)
class Decider:
    """Who is deciding: the acting principal and the employee it logs in as, if any."""

    actor_id: uuid.UUID | None
    employee_id: uuid.UUID | None


def may_decide(
    policy: Policy,
    subject: Subject,
    group: FieldGroup,
    decider: Decider,
    requested_by: Iterable[uuid.UUID | None],
) -> Decision:
    """Whether ``decider`` may approve or reject a request in ``group`` about ``subject``
    that the actors ``requested_by`` made or last shaped."""
    granted = policy.decide(subject, group, Action.APPROVE)
    if not granted:
        return granted
    if decider.employee_id is not None and decider.employee_id == subject.id:
        return Decision(False, OWN_RECORD)
    if decider.actor_id is not None and decider.actor_id in set(requested_by):
        return Decision(False, OWN_REQUEST)
    return granted


def require_decider(
    policy: Policy,
    subject: Subject,
    group: FieldGroup,
    decider: Decider,
    requested_by: Iterable[uuid.UUID | None],
) -> None:
    """Refuse (``FORBIDDEN`` naming the group and the reason) unless ``may_decide``."""
    decision = may_decide(policy, subject, group, decider, requested_by)
    if decision:
        return
    logger.info("denied approve on %s: %s", group.value, decision.reason)
    if decision.reason in (OWN_RECORD, OWN_REQUEST):
        raise Forbidden(
            "nobody decides a request about themselves or one they made or changed",
            deniedFieldGroups=[group.value],
            action=Action.APPROVE.value,
            reason=decision.reason,
        )
    raise Forbidden(
        f"not allowed to {Action.APPROVE.value} {group.value} for this person",
        deniedFieldGroups=[group.value],
        action=Action.APPROVE.value,
    )
