"""Routes for accounts: register, show yourself, and (admins) show or disable anyone."""

from fastapi import APIRouter, Depends, status

from fast_api_template.api.deps import (
    UNAUTHORIZED,
    AdminUser,
    AuthServiceDep,
    CurrentUser,
    PasswordsDep,
    SessionDep,
    UserId,
    count_registration,
)
from fast_api_template.schemas.problems import Problem
from fast_api_template.schemas.users import AccountStatus, UserCreate, UserRead
from fast_api_template.services.users import UserService

router = APIRouter(prefix="/users", tags=["users"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    # Counted before the body is read: a refused registration costs no password hash.
    dependencies=[Depends(count_registration)],
    responses={
        status.HTTP_409_CONFLICT: {"model": Problem, "description": "Email taken"},
        status.HTTP_429_TOO_MANY_REQUESTS: {"model": Problem, "description": "Too many"},
    },
)
async def register(data: UserCreate, session: SessionDep, passwords: PasswordsDep) -> UserRead:
    """Create an account. Log in with it at /auth/token."""
    user = await UserService(session).register(data.email, data.password, passwords)
    return UserRead.model_validate(user)


@router.get("/me", responses=UNAUTHORIZED)
async def read_me(user: CurrentUser) -> UserRead:
    """Show the account that the access token belongs to."""
    return UserRead.model_validate(user)


@router.get(
    "/{user_id:int}",
    responses={
        **UNAUTHORIZED,
        status.HTTP_403_FORBIDDEN: {"model": Problem, "description": "Admins only"},
    },
)
async def read_user(user_id: UserId, _admin: AdminUser, session: SessionDep) -> UserRead:
    """Show any account (administrators only)."""
    return UserRead.model_validate(await UserService(session).get(user_id))


@router.patch(
    "/{user_id:int}",
    responses={
        **UNAUTHORIZED,
        status.HTTP_403_FORBIDDEN: {"model": Problem, "description": "Admins only"},
        status.HTTP_404_NOT_FOUND: {"model": Problem, "description": "No such user"},
    },
)
async def update_account_status(
    user_id: UserId, data: AccountStatus, admin: AdminUser, auth: AuthServiceDep
) -> UserRead:
    """Disable or enable an account (administrators only); disabling ends its sessions at once."""
    user = await auth.set_active(user_id, active=data.is_active, by=admin)
    return UserRead.model_validate(user)
