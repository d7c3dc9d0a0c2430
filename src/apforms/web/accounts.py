"""Accounts: made with a one-time password, signed in with throttling."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from apforms.errors import ConfigError
from apforms.web.models import LA_ADMIN, LA_OFFICER, ROLES, SCHOOL, FailedSignIn, Profile, School

__all__ = [
    "LA_ADMIN",
    "LA_OFFICER",
    "SCHOOL",
    "create_user",
    "throttled",
    "record_failure",
    "two_factor_device",
    "needs_two_factor",
]

#: Failed sign-ins allowed in ``WINDOW`` for one account, and from one address.
PER_ACCOUNT, PER_ADDRESS = 5, 20
WINDOW = timedelta(minutes=15)


def normal_email(email: str) -> str:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ConfigError(f"not an email address: {email[:60]!r}") from None
    return email


def create_user(email: str, role: str, school: School | None, password: str | None = None) -> str:
    """Make an account; returns its password (a one-time one unless given), which must be
    changed at first sign-in. A school user belongs to exactly one school; LA staff to none."""
    from apforms.web import one_time_password

    email = normal_email(email)
    if role not in dict(ROLES):
        raise ConfigError(f"no role {role!r}")
    if (role == SCHOOL) != (school is not None):
        raise ConfigError("a school user needs their school; LA staff have none")
    users = get_user_model()
    if users.objects.filter(username=email).exists():
        raise ConfigError(f"{email} already has an account")
    password = password or one_time_password()
    with transaction.atomic():
        user = users.objects.create_user(username=email, email=email, password=password)
        if role == LA_ADMIN:
            user.is_staff = user.is_superuser = True
            user.save()
        Profile.objects.create(user=user, role=role, school=school)
    return password


def throttled(account: str, address: str) -> bool:
    """Whether sign-in is refused for now: too many recent failures for the account or address."""
    since = timezone.now() - WINDOW
    FailedSignIn.objects.filter(at__lt=since).delete()
    recent = FailedSignIn.objects.filter(at__gte=since)
    return (
        recent.filter(account=account.strip().lower()).count() >= PER_ACCOUNT
        or recent.filter(address=address).count() >= PER_ADDRESS
    )


def record_failure(account: str, address: str) -> None:
    FailedSignIn.objects.create(account=account.strip().lower()[:254], address=address[:64])


def clear_failures(account: str) -> None:
    FailedSignIn.objects.filter(account=account.strip().lower()).delete()


def two_factor_device(user: Any) -> Any:
    """The user's confirmed authenticator (a TOTP device), if they have one."""
    from django_otp import devices_for_user

    return next(iter(devices_for_user(user, confirmed=True)), None)


def needs_two_factor(user: Any) -> bool:
    """Whether the user must enter a code from an authenticator to sign in: LA staff always
    (they see every school's children), a school user once they have set one up."""
    prof = getattr(user, "profile", None)
    return bool(prof is not None and prof.is_la) or two_factor_device(user) is not None
