"""Who may do what with a document: the permission engine, asked about the category's group.

Each category names the field group that governs it (payslip: ``salary``, medical
certificate: ``absence_reason``, ...). For a document about a person the viewer may
- ``see`` it (that it exists, its category, type, size, checksum, date) with ``see`` on the
  category's group, or with ``see`` on ``documents``: the document register, which lists
  documents of every category without opening any (managers, auditors);
- ``upload``, ``download`` or ``delete`` it with that action on the category's group.
  Only those who may download a document are shown its filename.

The category's flags then apply to the employee's own profile: a grant that reaches the
document only through the ``self`` scope counts for see and download only if the category
is employee-visible, and for upload and delete only if it is employee-uploadable. Grants
reaching the person in any other way (their manager, HR for everyone) are not affected.

All decisions come from ``Policy.decide``, the one decision point; this module only says
which group to ask about and filters ``self`` grants by the flags.
"""

from __future__ import annotations

from hrvault.errors import Forbidden
from hrvault.models import DocumentCategory
from hrvault.permissions.policy import Decision, Policy, Subject
from hrvault.vocabulary import Action, FieldGroup, Scope

DOCUMENT_ACTIONS = (Action.SEE, Action.UPLOAD, Action.DOWNLOAD, Action.DELETE)


def _flag_allows(category: DocumentCategory, action: Action) -> bool:
    if action in (Action.SEE, Action.DOWNLOAD):
        return category.employee_visible
    return category.employee_uploadable


def _flag_reason(category: DocumentCategory, action: Action) -> str:
    if action in (Action.SEE, Action.DOWNLOAD):
        return f"{category.code} documents are not visible to employees on their own profile"
    return f"{category.code} documents are not uploaded by employees on their own profile"


def groups_deciding(category: DocumentCategory, action: Action) -> tuple[FieldGroup, ...]:
    group = FieldGroup(category.field_group)
    if action is Action.SEE and group is not FieldGroup.DOCUMENTS:
        return (group, FieldGroup.DOCUMENTS)
    return (group,)


def decide(
    policy: Policy, subject: Subject, category: DocumentCategory, action: Action
) -> Decision:
    """Whether the viewer may take ``action`` on this person's documents of this category."""
    if action not in DOCUMENT_ACTIONS:
        raise ValueError(f"{action.value} is not a document action")
    reasons = []
    for group in groups_deciding(category, action):
        decision = policy.decide(subject, group, action)
        if not decision:
            reasons.append(decision.reason)
            continue
        flag = _flag_allows(category, action)
        granted = tuple(s for s in decision.granted_by if s.grant.scope is not Scope.SELF or flag)
        if granted:
            return Decision(True, "granted", granted)
        reasons.append(_flag_reason(category, action))
    return Decision(False, "; ".join(reasons))


def allows(policy: Policy, subject: Subject, category: DocumentCategory, action: Action) -> bool:
    return decide(policy, subject, category, action).allowed


def require(policy: Policy, subject: Subject, category: DocumentCategory, action: Action) -> None:
    """Refuse (FORBIDDEN, naming the group and category) unless the action is allowed."""
    decision = decide(policy, subject, category, action)
    if not decision:
        raise Forbidden(
            f"not allowed to {action.value} {category.code} documents for this person",
            deniedFieldGroups=[category.field_group],
            action=action.value,
            category=category.code,
            reason=decision.reason,
        )
