"""Commands for an operator, run beside the service with its settings.

    python -m fast_api_template.admin limits lift --address 203.0.113.7
    python -m fast_api_template.admin limits lift --email ada@example.com
    python -m fast_api_template.admin limits lift --email ada@example.com --address 203.0.113.7
    python -m fast_api_template.admin sessions end --email ada@example.com
    python -m fast_api_template.admin tokens purge

They read the same settings as the service (environment and `.env` files), so they reach the
same database and the same Redis: a limit lifted here is lifted for every replica.
"""

import argparse
import asyncio
import sys
from collections.abc import Sequence

from fast_api_template.config import ConfigurationError, Settings, load_settings
from fast_api_template.core.cache import close_cache, create_cache
from fast_api_template.core.rate_limit import LoginThrottle, create_storage
from fast_api_template.core.security import Passwords
from fast_api_template.db import create_engine, create_session_factory, transaction
from fast_api_template.services.auth import AuthService
from fast_api_template.services.standing import cache_info
from fast_api_template.services.users import UserService


def parser() -> argparse.ArgumentParser:
    """Describe the commands and their options."""
    commands = argparse.ArgumentParser(
        prog="python -m fast_api_template.admin", description=__doc__.splitlines()[0]
    )
    groups = commands.add_subparsers(dest="group", required=True)
    limits = groups.add_parser("limits", help="login limits").add_subparsers(
        dest="action", required=True
    )
    lift = limits.add_parser(
        "lift",
        help="lift the limit of an account (--email), of an address (--address), or of both "
        "as a pair",
    )
    lift.add_argument("--email", help="the account's email")
    lift.add_argument("--address", help="the client's address (IPv6: any address of its /64)")
    sessions = groups.add_parser("sessions", help="sessions").add_subparsers(
        dest="action", required=True
    )
    end = sessions.add_parser("end", help="end every session of an account, on every device")
    end.add_argument("--email", required=True, help="the account's email")
    tokens = groups.add_parser("tokens", help="refresh tokens").add_subparsers(
        dest="action", required=True
    )
    tokens.add_parser("purge", help="delete the refresh tokens that can no longer be spent")
    return commands


async def run(arguments: argparse.Namespace, settings: Settings) -> str:
    """Carry out one command; return what was done, in one line.

    Raises:
        ValueError: The command cannot be carried out as given (its message says why).

    """
    throttle = LoginThrottle(create_storage(settings.redis), settings.security)
    if arguments.group == "limits":
        if not (arguments.email or arguments.address):
            msg = "limits lift needs --email, --address, or both"
            raise ValueError(msg)
        await throttle.lift(email=arguments.email, address=arguments.address)
        return f"lifted the login limit of {_what(arguments.email, arguments.address)}"
    engine = create_engine(settings.database)
    # Through Redis, ending sessions reaches the API's cached standings at once. With each
    # process caching in its own memory, the API sees it within `cache.standing_seconds`.
    cache = create_cache(settings)
    try:
        sessions = create_session_factory(engine, info=cache_info(cache, settings))
        async with transaction(sessions) as session:
            auth = AuthService(
                session,
                settings=settings.security,
                passwords=Passwords(settings.security),
                throttle=throttle,
            )
            if arguments.group == "tokens":
                return f"deleted {await auth.purge_expired_tokens()} expired refresh tokens"
            user = await UserService(session).find_by_email(arguments.email)
            if user is None:
                msg = f"no account has the email {arguments.email}"
                raise ValueError(msg)
            await auth.logout_everywhere(user)
            return f"ended every session of {user.email}"
    finally:
        await close_cache(cache)
        await engine.dispose()


def _what(email: str | None, address: str | None) -> str:
    if email and address:
        return f"{email} from {address}"
    return email or address or ""


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run the command, print its outcome; return the exit status."""
    arguments = parser().parse_args(argv)
    try:
        settings = load_settings()
        print(asyncio.run(run(arguments, settings)))
    except (ConfigurationError, ValueError) as error:
        print(error, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
