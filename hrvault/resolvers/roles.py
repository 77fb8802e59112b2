"""Managing roles and who holds them. Nobody hands out more than they hold, nor changes a
role or a user stronger than themselves (``hrvault.permissions.delegation``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import delete, func, select

from hrvault.audit.records import Change, Entry
from hrvault.audit.system import ADMIN
from hrvault.errors import Conflict, bad_input
from hrvault.models import Role, RoleAbility, RoleGrant, User, UserRole
from hrvault.permissions import membership
from hrvault.permissions.delegation import NOTHING, Act, Powers, describe_grant
from hrvault.permissions.grants import Grant
from hrvault.permissions.powers import powers_of_user
from hrvault.resolvers import rows, validation
from hrvault.resolvers.context import RequestContext
from hrvault.vocabulary import PERSON_GROUPS, Ability


@dataclass(frozen=True)
class RoleDefinition:
    role: Role
    grants: tuple[Grant, ...]
    abilities: tuple[Ability, ...]
    holders: int


async def _definitions(ctx: RequestContext, roles: Sequence[Role]) -> list[RoleDefinition]:
    ids = [role.id for role in roles]
    grants = await ctx.db.scalars(
        select(RoleGrant).where(RoleGrant.tenant_id == ctx.tenant_id, RoleGrant.role_id.in_(ids))
    )
    abilities = await ctx.db.scalars(
        select(RoleAbility).where(
            RoleAbility.tenant_id == ctx.tenant_id, RoleAbility.role_id.in_(ids)
        )
    )
    holders = await ctx.db.execute(
        select(UserRole.role_id, func.count())
        .where(UserRole.tenant_id == ctx.tenant_id, UserRole.role_id.in_(ids))
        .group_by(UserRole.role_id)
    )
    by_role: dict[uuid.UUID, list[Grant]] = {i: [] for i in ids}
    for g in grants:
        by_role[g.role_id].append(Grant(g.field_group, g.action, g.scope, g.include_former))
    powers: dict[uuid.UUID, list[Ability]] = {i: [] for i in ids}
    for a in abilities:
        powers[a.role_id].append(a.ability)
    counts = {row[0]: row[1] for row in holders.all()}
    return [
        RoleDefinition(
            role,
            tuple(sorted(by_role[role.id])),
            tuple(sorted(powers[role.id])),
            counts.get(role.id, 0),
        )
        for role in roles
    ]


async def list_roles(ctx: RequestContext) -> list[RoleDefinition]:
    async with ctx.reader.exclusive():
        roles = list(
            await ctx.db.scalars(
                select(Role).where(Role.tenant_id == ctx.tenant_id).order_by(Role.name)
            )
        )
        return await _definitions(ctx, roles)


async def role_definition(ctx: RequestContext, role: Role) -> RoleDefinition:
    return (await _definitions(ctx, [role]))[0]


def _powers(definition: RoleDefinition) -> Powers:
    return Powers.of(definition.grants, definition.abilities)


def _check_grants(grants: Iterable[Grant]) -> list[Grant]:
    grants = sorted(set(grants))
    for grant in grants:
        if grant.field_group not in PERSON_GROUPS:
            raise bad_input("grants", f"{grant.field_group.value} is not a field group of people")
    return grants


async def _check_name_free(ctx: RequestContext, name: str, except_id: uuid.UUID | None) -> None:
    clash = select(Role.id).where(
        Role.tenant_id == ctx.tenant_id, func.lower(Role.name) == name.lower()
    )
    if except_id is not None:
        clash = clash.where(Role.id != except_id)
    if await ctx.db.scalar(clash) is not None:
        raise bad_input("name", "another role has this name")


def _describe(grants: Iterable[Grant]) -> list[str]:
    return [describe_grant(g) for g in sorted(grants)]


async def _replace_definition(
    ctx: RequestContext,
    role: Role,
    grants: list[Grant],
    abilities: Iterable[Ability],
    previous: RoleDefinition | None = None,
) -> None:
    abilities = sorted(set(abilities))
    ctx.audit.add(
        Entry(
            "set_grants",
            "Role",
            str(role.id),
            changes=(
                Change(
                    "grants",
                    ADMIN,
                    _describe(previous.grants) if previous else [],
                    _describe(grants),
                ),
                Change(
                    "abilities",
                    ADMIN,
                    [a.value for a in previous.abilities] if previous else [],
                    [a.value for a in abilities],
                ),
            ),
        )
    )
    tenant_id = ctx.tenant_id
    await ctx.db.execute(
        delete(RoleGrant).where(RoleGrant.tenant_id == tenant_id, RoleGrant.role_id == role.id)
    )
    await ctx.db.execute(
        delete(RoleAbility).where(
            RoleAbility.tenant_id == tenant_id, RoleAbility.role_id == role.id
        )
    )
    ctx.db.add_all(RoleGrant(tenant_id=tenant_id, role_id=role.id, **asdict(g)) for g in grants)
    ctx.db.add_all(
        RoleAbility(tenant_id=tenant_id, role_id=role.id, ability=a) for a in sorted(set(abilities))
    )
    await ctx.db.flush()


async def create_role(
    ctx: RequestContext,
    name: str,
    description: str | None,
    grants: Iterable[Grant],
    abilities: Iterable[Ability],
) -> Role:
    name = validation.text(name, "name", max_length=100)
    checked, abilities = _check_grants(grants), sorted(set(abilities))
    ctx.require_delegation(Powers.of(checked, abilities), Act.HANDS_OUT, "createRole")
    await _check_name_free(ctx, name, None)
    role = Role(
        id=uuid.uuid4(),
        name=name,
        description=validation.optional_text(description, "description", max_length=500) or "",
    )
    await rows.create(ctx, role)
    await _replace_definition(ctx, role, checked, abilities)
    return role


async def update_role(
    ctx: RequestContext,
    raw_id: str,
    version: int,
    *,
    name: str | None,
    description: str | None,
    grants: Iterable[Grant] | None,
    abilities: Iterable[Ability] | None,
) -> Role:
    role = await rows.get_row(ctx, Role, raw_id, "id")
    if role.builtin_key is not None:
        raise Conflict("built-in roles cannot be changed; copy the role and change the copy")
    rows.check_version(role, version)
    current = await role_definition(ctx, role)
    ctx.require_delegation(_powers(current), Act.ACTS_ON, "updateRole")  # not a stronger role
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = validation.text(name, "name", max_length=100)
        await _check_name_free(ctx, changes["name"], role.id)  # type: ignore[arg-type]
    if description is not None:
        changes["description"] = (
            validation.optional_text(description, "description", max_length=500) or ""
        )
    if grants is not None or abilities is not None:
        new_grants = _check_grants(grants) if grants is not None else list(current.grants)
        new_abilities = sorted(set(abilities)) if abilities is not None else list(current.abilities)
        ctx.require_delegation(Powers.of(new_grants, new_abilities), Act.HANDS_OUT, "updateRole")
        await _replace_definition(ctx, role, new_grants, new_abilities, previous=current)
    # The version moves on every change, grants included, so concurrent editors conflict.
    return await rows.update(ctx, role, version, changes)


async def copy_role(ctx: RequestContext, raw_id: str, name: str) -> Role:
    source = await rows.get_row(ctx, Role, raw_id, "id")
    definition = await role_definition(ctx, source)
    return await create_role(ctx, name, source.description, definition.grants, definition.abilities)


async def delete_role(ctx: RequestContext, raw_id: str, version: int) -> None:
    role = await rows.get_row(ctx, Role, raw_id, "id")
    if role.builtin_key is not None:
        raise Conflict("built-in roles cannot be deleted")
    rows.check_version(role, version)
    definition = await role_definition(ctx, role)
    ctx.require_delegation(_powers(definition), Act.ACTS_ON, "deleteRole")
    if definition.holders:
        raise Conflict(f"{definition.holders} user(s) hold this role; remove it from them first")
    ctx.audit.deleted(role)
    await ctx.db.delete(role)
    await ctx.db.flush()


async def _user_and_role(
    ctx: RequestContext, raw_user_id: str, raw_role_id: str, operation: str
) -> tuple[User, Role]:
    """The user and the role, once the caller may both hand out the role and act on the
    user: nobody changes the roles of someone who holds more than they do (acting on
    oneself weakens nobody else)."""
    user = await rows.get_row(ctx, User, raw_user_id, "userId")
    role = await rows.get_row(ctx, Role, raw_role_id, "roleId")
    definition = await role_definition(ctx, role)
    ctx.require_delegation(_powers(definition), Act.HANDS_OUT, operation)
    itself = user.id == ctx.actor_id
    target = NOTHING if itself else await powers_of_user(ctx.db, ctx.tenant_id, user.id)
    ctx.require_delegation(target, Act.ACTS_ON, operation)
    return user, role


async def assign_role(ctx: RequestContext, raw_user_id: str, raw_role_id: str) -> User:
    user, role = await _user_and_role(ctx, raw_user_id, raw_role_id, "assignRole")
    if await membership.assign_role(
        ctx.db, ctx.tenant_id, user.id, role.id, actor_id=ctx.actor_id, now=ctx.clock.now()
    ):
        ctx.audit.add(_membership_entry("assign_role", user, None, role.name))
    return user


async def remove_role(ctx: RequestContext, raw_user_id: str, raw_role_id: str) -> User:
    user, role = await _user_and_role(ctx, raw_user_id, raw_role_id, "removeRole")
    if await membership.remove_role(ctx.db, ctx.tenant_id, user.id, role):
        ctx.audit.add(_membership_entry("remove_role", user, role.name, None))
    return user


def _membership_entry(action: str, user: User, old: str | None, new: str | None) -> Entry:
    return Entry(action, "User", str(user.id), user.employee_id, (Change("role", ADMIN, old, new),))


async def list_users(ctx: RequestContext) -> list[tuple[User, list[Role]]]:
    async with ctx.reader.exclusive():
        users = list(
            await ctx.db.scalars(
                select(User).where(User.tenant_id == ctx.tenant_id).order_by(User.email)
            )
        )
        held = await ctx.db.execute(
            select(UserRole.user_id, Role)
            .join(Role, (Role.tenant_id == UserRole.tenant_id) & (Role.id == UserRole.role_id))
            .where(UserRole.tenant_id == ctx.tenant_id)
            .order_by(Role.name)
        )
        roles: dict[uuid.UUID, list[Role]] = {user.id: [] for user in users}
        for user_id, role in held.all():
            roles[user_id].append(role)
    return [(user, roles[user.id]) for user in users]


async def roles_of(ctx: RequestContext, user_id: uuid.UUID) -> list[Role]:
    return list(
        await ctx.reader.all(
            select(Role)
            .join(UserRole, (UserRole.tenant_id == Role.tenant_id) & (UserRole.role_id == Role.id))
            .where(Role.tenant_id == ctx.tenant_id, UserRole.user_id == user_id)
            .order_by(Role.name)
        )
    )
