"""Security events: one log line each, with who, from where and why, for alerts and forensics.

A failed login, a throttled one, a refresh token used twice (a theft signal), a refused
permission, a logout, a disabled account: each is logged here, under one logger, with the
same fields, so that an operator can alert on them and find them later. Never a password,
a token or a hash: only ids, addresses and reasons.
"""

import logging
from enum import StrEnum

logger = logging.getLogger(__name__)


class SecurityEvent(StrEnum):
    """What happened: the `security_event` field of the log record."""

    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    LOGIN_THROTTLED = "login_throttled"
    REGISTRATION_THROTTLED = "registration_throttled"
    REFRESH_TOKEN_REUSED = "refresh_token_reused"  # noqa: S105 (an event name)
    REFRESH_REFUSED = "refresh_refused"
    LOGGED_OUT = "logged_out"
    LOGGED_OUT_EVERYWHERE = "logged_out_everywhere"
    ACCOUNT_DISABLED = "account_disabled"
    ACCOUNT_ENABLED = "account_enabled"
    PERMISSION_DENIED = "permission_denied"


# Events that a person or an attacker's tool caused by failing: logged as warnings.
_REFUSALS = frozenset(
    {
        SecurityEvent.LOGIN_FAILED,
        SecurityEvent.LOGIN_THROTTLED,
        SecurityEvent.REGISTRATION_THROTTLED,
        SecurityEvent.REFRESH_TOKEN_REUSED,
        SecurityEvent.REFRESH_REFUSED,
        SecurityEvent.PERMISSION_DENIED,
    }
)


def record(
    event: SecurityEvent,
    *,
    reason: str,
    user_id: int | None = None,
    address: str | None = None,
) -> None:
    """Log one security event, as text and as fields of the record.

    Args:
        event: What happened.
        reason: Why, in a few words ("wrong password", "limit per address").
        user_id: The account concerned, when known.
        address: The client's address, when the event comes from a request.

    """
    fields = {"user_id": user_id, "client_address": address, "reason": reason}
    text = " ".join(f"{name}={value}" for name, value in fields.items() if value is not None)
    level = logging.WARNING if event in _REFUSALS else logging.INFO
    logger.log(
        level,
        "security event %s: %s",
        event.value,
        text,
        extra={"security_event": event.value, **fields},
    )
