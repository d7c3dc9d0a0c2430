"""The fictional demo in the web app: two schools, three accounts (the school's its lead),
every example document."""

from __future__ import annotations

import base64

from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from apforms import api
from apforms.web import accounts, one_time_password
from apforms.web.models import LA_ADMIN, LA_OFFICER, SCHOOL, Record, School

#: The demo's schools (invented), the first holding every example record.
SCHOOLS = ("Derwent Meadows Academy", "Riverside Community School")
#: The demo's accounts: email, role, school (index into SCHOOLS, or None).
ACCOUNTS = (
    ("admin@example.gov.uk", LA_ADMIN, None),
    ("ap.officer@example.gov.uk", LA_OFFICER, None),
    ("ap.lead@derwent-meadows.example.sch.uk", SCHOOL, 0),
)


def load() -> dict[str, dict[str, str | None]]:
    """Fill an empty data folder; returns each account's password (demo accounts need not
    change theirs) and, for LA staff (who must sign in with two factors), the secret of an
    authenticator already set up for them, base32 as an app takes it typed (else None).
    Refused if the folder already has users."""
    from apforms.web import has_users

    if has_users():
        from apforms.errors import ConfigError

        raise ConfigError("the data folder already has accounts; the demo loads into an empty one")
    with transaction.atomic():
        schools = [School.objects.create(name=name) for name in SCHOOLS]
        passwords: dict[str, dict[str, str | None]] = {}
        for email, role, school in ACCOUNTS:
            password = one_time_password()
            accounts.create_user(email, role, schools[school] if school is not None else None, password)
            secret = None
            if role != SCHOOL:
                user = get_user_model().objects.get(username=email)
                device = TOTPDevice.objects.create(user=user, name="Demo authenticator", confirmed=True)
                secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
            passwords[email] = {"password": password, "totp_secret": secret}

        from apforms.web.models import Profile

        Profile.objects.filter(user__username__in=passwords).update(must_change_password=False)
        # the school's account is its lead: it sees the school's activity in the audit log
        Profile.objects.filter(user__username__in=passwords, role=SCHOOL).update(lead=True)
        for doc in api.document_ids():
            record = api.new_record(doc, api.example(doc)["data"])
            Record.objects.create(
                document=doc, school=schools[0], data=record.data, title=api.record_title(record)
            )
        other = api.example("referral")["data"]
        other = {
            **other,
            "pupil": {
                **other.get("pupil", {}),
                "legal_name": "Tomasz Ebbrell-Nowak",
                "current_school": SCHOOLS[1],
            },
        }
        record = api.new_record("referral", other)
        Record.objects.create(
            document="referral", school=schools[1], data=record.data, title=api.record_title(record)
        )
    return passwords
