"""What the web app keeps: schools, who belongs to which, records (drafts included), returns
awaiting review, archive entries' schools, saved spreadsheet header mappings, failed sign-ins.

Every id a URL carries is a random UUID, never a sequence: a school user cannot guess another
school's record, and every view checks the object's school anyway (``access``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

LA_ADMIN, LA_OFFICER, SCHOOL = "la_admin", "la_officer", "school"
ROLES = [(LA_ADMIN, "LA administrator"), (LA_OFFICER, "LA officer"), (SCHOOL, "School user")]


class School(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True)
    urn = models.CharField("URN", max_length=20, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(max_length=20, choices=ROLES)
    school = models.ForeignKey(School, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    must_change_password = models.BooleanField(default=True)
    #: A school user who sees their school's activity in the audit log (set by an LA administrator).
    lead = models.BooleanField("school lead", default=False)

    @property
    def is_la(self) -> bool:
        return self.role in (LA_ADMIN, LA_OFFICER)

    @property
    def can_lead(self) -> bool:
        """Whether this user may be made their school's lead: a school user with a school."""
        return self.role == SCHOOL and self.school_id is not None

    @property
    def is_lead(self) -> bool:
        return self.can_lead and self.lead


class Record(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.CharField(max_length=40)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="records")
    data = models.JSONField(default=dict)
    title = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated"]


class Return(models.Model):
    """A returned form read back, waiting for a person to accept it into a record."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    record = models.ForeignKey(
        Record, null=True, blank=True, on_delete=models.CASCADE, related_name="returns"
    )
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="returns")
    document = models.CharField(max_length=40)
    filename = models.CharField(max_length=255)
    read = models.JSONField()
    method = models.CharField(max_length=20)
    warnings = models.JSONField(default=list)
    review = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    accepted = models.DateTimeField(null=True, blank=True)


class ArchiveCopy(models.Model):
    """Which school an archive entry belongs to (the archive itself keeps the file)."""

    entry = models.CharField(max_length=100, unique=True)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="archive_copies")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added = models.DateTimeField(auto_now_add=True)


class HeaderMapping(models.Model):
    """A saved mapping of a council's spreadsheet headers to the columns bulk SLAs expect."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20)
    mapping = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)


class FailedSignIn(models.Model):
    """A failed sign-in, for throttling (by account and by address)."""

    account = models.CharField(max_length=254, db_index=True)
    address = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)


class AuditEvent(models.Model):
    """One look at or change to a child's record, a return or a bulk run: who (and their role),
    what, when, from where, and why where a reason is asked. Append-only: the database refuses
    to change or delete a row (triggers, migration 0002), and each row's hash chains the one
    before, so ``audit.verify`` finds an edit made by going round the triggers."""

    at = models.DateTimeField()
    who = models.CharField(max_length=254)
    role = models.CharField(max_length=20)
    action = models.CharField(max_length=40)
    kind = models.CharField(max_length=20)
    target = models.CharField(max_length=100)
    school = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    #: The ids a list showed or an export held, space-separated (as many as a page shows).
    #: Nullable, so that adding it kept the table and its triggers (migration 0003).
    ids = models.TextField(null=True, blank=True)
    previous = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
