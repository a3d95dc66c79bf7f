"""The rules for projects: names unique per owner; only the owner, or an admin, sees a project."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.models import Project, User
from fast_api_template.services.exceptions import (
    DuplicateProjectNameError,
    ProjectNotFoundError,
)
from fast_api_template.services.pagination import (
    Keyset,
    KeysetPage,
    OffsetPage,
    PageParams,
    keyset_page,
)
from fast_api_template.services.summaries import note_change

# What a service takes is its own: plain data, not an API version's request schema.
# Each version's endpoints translate their request into these.
CHANGEABLE = frozenset({"name", "description", "archived"})


@dataclass(frozen=True)
class NewProject:
    """What a new project is made of."""

    name: str
    description: str | None = None


class ProjectService:
    """The projects that one user may see: everything here acts as that user.

    Args:
        session: The unit of work; the caller commits or rolls it back.
        actor: The acting user. They see their own projects, or every project if they are
            an admin. Other users' projects are reported as not found, never as forbidden,
            so that nobody learns which ids exist.

    """

    def __init__(self, session: AsyncSession, actor: User) -> None:
        if actor.id is None:
            msg = "the actor must be saved before they can own projects"
            raise ValueError(msg)
        self.session = session
        self.owner_id = actor.id
        self.sees_all = actor.is_admin

    def _visible(self) -> list[ColumnElement[bool]]:
        """Return the conditions that limit a query to the projects that the actor may see."""
        return [] if self.sees_all else [col(Project.owner_id) == self.owner_id]

    async def list_page(
        self,
        page: PageParams,
        *,
        archived: bool | None = None,
        name_contains: str | None = None,
    ) -> OffsetPage[Project]:
        """Return one page of the owner's projects, oldest first, with the number of matches."""
        conditions = self._filters(archived=archived, name_contains=name_contains)
        total = await self.session.exec(
            select(func.count()).select_from(Project).where(*conditions)
        )
        projects = await self.session.exec(
            select(Project)
            .where(*conditions)
            .order_by(col(Project.id))
            .offset(page.offset)
            .limit(page.limit)
        )
        return OffsetPage(
            items=list(projects), total=total.one(), limit=page.limit, offset=page.offset
        )

    async def list_after(
        self,
        after: Keyset | None,
        limit: int,
        *,
        archived: bool | None = None,
        name_contains: str | None = None,
    ) -> KeysetPage[Row[Any]]:
        """Return the owner's projects after a position, oldest first (keyset pagination)."""
        conditions = self._filters(archived=archived, name_contains=name_contains)
        query = select(Project).where(*conditions)
        return await keyset_page(self.session, query, model=Project, after=after, limit=limit)

    def _filters(
        self, *, archived: bool | None, name_contains: str | None
    ) -> list[ColumnElement[bool]]:
        conditions = self._visible()
        if archived is not None:
            conditions.append(col(Project.archived) == archived)
        if name_contains:
            # autoescape: a % or _ typed by the user matches itself, not any text.
            conditions.append(col(Project.name).icontains(name_contains, autoescape=True))
        return conditions

    async def get(self, project_id: int, *, for_update: bool = False) -> Project:
        """Return one of the owner's projects.

        Args:
            project_id: The project's id.
            for_update: Lock the row until the transaction ends (PostgreSQL), so that a
                decision based on it, such as "not archived", holds until the commit.

        Raises:
            ProjectNotFoundError: No such project, or the acting user may not see it.

        """
        query = select(Project).where(col(Project.id) == project_id, *self._visible())
        if for_update:
            query = query.with_for_update()
        project = (await self.session.exec(query)).first()
        if project is None:
            raise ProjectNotFoundError(project_id)
        return project

    # --8<-- [start:check_visible]
    async def check_visible(self, project_id: int) -> None:
        """Check that the acting user may see a project, without loading it.

        For read-only paths, such as a list of its tasks, that need the answer and not the
        project: one indexed lookup of its id, with no ORM object built.

        Raises:
            ProjectNotFoundError: No such project, or the acting user may not see it.

        """
        query = select(col(Project.id)).where(col(Project.id) == project_id, *self._visible())
        connection = await self.session.connection()
        if (await connection.execute(query)).first() is None:
            raise ProjectNotFoundError(project_id)

    # --8<-- [end:check_visible]

    # --8<-- [start:create]
    async def create(self, new: NewProject) -> Project:
        """Create a project for the owner.

        Raises:
            DuplicateProjectNameError: The owner already has a project of this name.

        """
        project = Project(name=new.name, description=new.description, owner_id=self.owner_id)
        async with self._unique_name(project.name):
            self.session.add(project)
        note_change(self.session, project.owner_id)
        return project

    # --8<-- [end:create]

    async def update(self, project_id: int, changes: Mapping[str, object]) -> Project:
        """Set the fields that `changes` names (name, description, archived), and no other.

        Raises:
            ProjectNotFoundError: No such project, or the acting user may not see it.
            DuplicateProjectNameError: The new name is taken by another of the owner's projects.

        """
        check_changes(changes, CHANGEABLE)
        project = await self.get(project_id)
        async with self._unique_name(str(changes.get("name", project.name))):
            for name, value in changes.items():
                setattr(project, name, value)
        note_change(self.session, project.owner_id)
        return project

    async def archive(self, project_id: int) -> Project:
        """Archive a project, so that it takes no new tasks. Archiving twice is harmless.

        Raises:
            ProjectNotFoundError: No such project, or the acting user may not see it.

        """
        project = await self.get(project_id)
        project.archived = True
        await self.session.flush()
        note_change(self.session, project.owner_id)
        return project

    async def delete(self, project_id: int) -> None:
        """Delete a project and, through the database's ON DELETE CASCADE, its tasks.

        Raises:
            ProjectNotFoundError: No such project, or the acting user may not see it.

        """
        project = await self.get(project_id)
        await self.session.delete(project)
        await self.session.flush()
        note_change(self.session, project.owner_id)

    # --8<-- [start:unique_name]
    @asynccontextmanager
    async def _unique_name(self, name: str) -> AsyncIterator[None]:
        """Write the changes made in the block, or raise if `name` is taken.

        The unique constraint on (owner_id, name) decides, not a query beforehand: between a
        check and the insert another request could take the name. The savepoint undoes only
        the block's changes, so the caller's transaction stays usable.
        """
        try:
            async with self.session.begin_nested():  # flushed when the block ends
                yield
        except IntegrityError:
            raise DuplicateProjectNameError(name) from None

    # --8<-- [end:unique_name]


def check_changes(changes: Mapping[str, object], allowed: frozenset[str]) -> None:
    """Refuse changes to fields that a service does not let callers change.

    The API's schemas validate what a client sends; this catches a caller's typo, which would
    otherwise change nothing without a word.

    Raises:
        ValueError: `changes` names a field outside `allowed`.

    """
    if unknown := changes.keys() - allowed:
        msg = f"cannot change {sorted(unknown)}: only {sorted(allowed)}"
        raise ValueError(msg)
