"""Routes for tokens: log in with a password (OAuth2 password flow), refresh, log out."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Response, status

from fast_api_template.api.deps import UNAUTHORIZED as API_UNAUTHORIZED
from fast_api_template.api.deps import AuthServiceDep, ClientAddress, CurrentUser
from fast_api_template.schemas.auth import LoginForm, RefreshRequest, Tokens
from fast_api_template.schemas.problems import Problem

router = APIRouter(prefix="/auth", tags=["auth"])

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    status.HTTP_401_UNAUTHORIZED: {"model": Problem, "description": "Invalid credentials"},
}


async def no_store(response: Response) -> None:
    """Keep tokens out of every cache on the way (RFC 6749, section 5.1)."""
    response.headers["Cache-Control"] = "no-store"


@router.post(
    "/token",
    dependencies=[Depends(no_store)],
    responses={
        **UNAUTHORIZED,
        status.HTTP_429_TOO_MANY_REQUESTS: {"model": Problem, "description": "Too many failures"},
    },
)
async def login(
    form: Annotated[LoginForm, Form()],
    auth: AuthServiceDep,
    address: ClientAddress,
) -> Tokens:
    """Log in: the form's `username` is the account's email."""
    tokens = await auth.login(form.username, form.password, address=address)
    return Tokens.model_validate(tokens)


@router.post("/refresh", dependencies=[Depends(no_store)], responses=UNAUTHORIZED)
async def refresh(data: RefreshRequest, auth: AuthServiceDep, address: ClientAddress) -> Tokens:
    """Exchange a refresh token for a new pair. Each refresh token works once."""
    return Tokens.model_validate(await auth.refresh(data.refresh_token, address=address))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(data: RefreshRequest, auth: AuthServiceDep) -> None:
    """End the session of this refresh token: it, and every token rotated from it, stop working.

    Answers 204 whether or not the token was valid. The session's access token works
    until it expires; log out everywhere to end it at once.
    """
    await auth.logout(data.refresh_token)


@router.post("/logout-all", status_code=status.HTTP_204_NO_CONTENT, responses=API_UNAUTHORIZED)
async def logout_all(user: CurrentUser, auth: AuthServiceDep) -> None:
    """End every session of the current user, on every device: all their tokens stop working."""
    await auth.logout_everywhere(user)
