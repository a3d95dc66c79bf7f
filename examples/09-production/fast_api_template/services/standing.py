"""A user's standing, cached: who may act, without a query on every request.

`CurrentUser` reads the user's row on every request, so that a disabled account, a logout
everywhere or a new password ends every token at once. A hot read-only route can check the
same facts in the cache instead: the user's standing (active, admin, token version), kept
until the user's row changes.

Each user's standing has a generation counter, as the summaries have. A commit that changes
the row moves the counter on (`db.on_commit`), whoever made it: a request, a worker's job, a
script. A standing read from the database before that commit is written under the old
generation, so it is never taken for the current one.

The trade-off: a change made around the cache, with a bulk `UPDATE` or by hand in SQL, is
seen when the entry expires (`cache.standing_seconds`); so is a change whose counter
increment was lost to a Redis outage.
"""

import contextlib
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from cashews import Cache
from pydantic import TypeAdapter
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, UOWTransaction
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.config import Settings
from fast_api_template.core.cache import read_counter
from fast_api_template.db import on_commit
from fast_api_template.models import User
from fast_api_template.services.auth import can_sign_in
from fast_api_template.services.summaries import SummaryCache

# Where a session finds the cache that its commits make stale (see `StandingCache`).
STANDING_CACHE: Final = "standing.cache"
# Where a unit of work notes the users whose standing it changes.
CHANGED_USERS: Final = "standing.changed_users"
# The columns that decide whether a token is still good, and what its holder may do.
DECIDING: Final = ("is_active", "is_admin", "token_version", "hashed_password")


# --8<-- [start:standing]
@dataclass(frozen=True)
class Standing:
    """What a request needs to know of its user, as of one generation of their row."""

    generation: int
    user_id: int
    is_admin: bool
    # Whether the account may sign in: active, with a password (services/auth.can_sign_in).
    can_sign_in: bool
    token_version: int


STANDINGS: Final = TypeAdapter(Standing)


async def standing_of(
    user_id: int,
    stored: tuple[object, object],
    *,
    cache: Cache,
    namespace: str,
    ttl_seconds: int,
    session: Callable[[], Awaitable[AsyncSession]],
) -> Standing | None:
    """Return a user's standing: the cached one if current, else from their row (then kept).

    Args:
        user_id: Whose standing.
        stored: What the cache holds under `keys(namespace, user_id)`, read by the caller
            in the round trip that it makes anyway (see `api.deps.authorize`).
        cache: Where a standing read from the row is kept.
        namespace: The start of every key.
        ttl_seconds: The longest that a kept standing is used.
        session: Gives the session that reads the row on a miss (the caller's unit of
            work, opened only then: see `db.LazyUnitOfWork`).

    Returns None when there is no such user.

    """
    counter, entry = stored
    generation = read_counter(generation_key(namespace, user_id), counter)
    cached = _decode(entry)
    # Current only if written under the counter's generation.
    if generation is not None and cached is not None and cached.generation == generation:
        return cached
    standing = await _load(await session(), user_id, generation or 0)
    if standing is not None and generation is not None:
        key = entry_key(namespace, user_id)
        await cache.set(key, STANDINGS.dump_json(standing), expire=ttl_seconds)
    return standing


def keys(namespace: str, user_id: int) -> tuple[str, str]:
    """Name what a user's cached standing is made of: its generation counter, its entry."""
    return generation_key(namespace, user_id), entry_key(namespace, user_id)


# --8<-- [end:standing]


def _decode(stored: object) -> Standing | None:
    # Untrusted input, as every cached value: JSON of exactly this shape, or a miss.
    if not isinstance(stored, bytes):
        return None
    try:
        return STANDINGS.validate_json(stored, strict=True)
    except ValueError:
        return None


async def _load(session: AsyncSession, user_id: int, generation: int) -> Standing | None:
    user = await session.get(User, user_id)
    if user is None or user.id is None:
        return None
    return Standing(
        generation=generation,
        user_id=user.id,
        is_admin=user.is_admin,
        can_sign_in=can_sign_in(user),
        token_version=user.token_version,
    )


def entry_key(namespace: str, user_id: int) -> str:
    """Name the cached standing of a user."""
    return f"{namespace}:standing:{user_id}"


def generation_key(namespace: str, user_id: int) -> str:
    """Name the counter whose increment makes a user's cached standing stale."""
    return f"{namespace}:standing:{user_id}:generation"


# --8<-- [start:invalidation]
@dataclass(frozen=True)
class StandingCache:
    """The cache of standings, as the sessions of a factory carry it to make entries stale.

    Give it to every session factory of a process that changes users, as `SummaryCache`.
    """

    cache: Cache
    namespace: str

    def info(self) -> dict[str, object]:
        """Return the session info that makes a factory's commits refresh these standings."""
        return {STANDING_CACHE: self}


def cache_info(cache: Cache, settings: Settings) -> dict[str, object]:
    """Return the session info that makes a factory's commits refresh what they change.

    Give it to every session factory of a process that changes users, projects or tasks:
    the API's, a worker's, a script's (`db.create_session_factory(engine, info=...)`).
    """
    namespace = settings.redis.key_prefix
    return SummaryCache(cache, namespace).info() | StandingCache(cache, namespace).info()


@event.listens_for(Session, "after_flush")
def _note_changed_users(session: Session, _flush: UOWTransaction) -> None:
    # Every change to a user's deciding columns goes through a flush, whichever service or
    # script made it: one listener here, instead of a call that each of them could forget.
    target = session.info.get(STANDING_CACHE)
    if not isinstance(target, StandingCache):
        return
    changed = {
        user.id
        for user in session.dirty
        if isinstance(user, User) and user.id is not None and _decides(user)
    } | {user.id for user in session.deleted if isinstance(user, User) and user.id is not None}
    if not changed:
        return
    session.info.setdefault(CHANGED_USERS, set()).update(changed)
    forget = functools.partial(_forget_changed, session.info, target)
    on_commit(session, forget, key=CHANGED_USERS)


def _decides(user: User) -> bool:
    attributes = inspect(user).attrs
    return any(attributes[name].history.has_changes() for name in DECIDING)


async def _forget_changed(info: dict[str, Any], target: StandingCache) -> None:
    users: set[int] = info.pop(CHANGED_USERS, set())
    for user_id in users:
        # As for the summaries: a lost increment leaves the old standing until its TTL.
        with contextlib.suppress(Exception):
            await target.cache.incr(generation_key(target.namespace, user_id))


# --8<-- [end:invalidation]
