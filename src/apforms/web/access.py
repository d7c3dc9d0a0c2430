"""Who may see what. Every view that takes an object's id goes through ``record_for`` (and
its kin): a school user's objects are their school's only, and anything else is "not found"
(404), exactly as an id that does not exist, so ids cannot be probed."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from apforms.web import accounts, jobs
from apforms.web.jobs import Job
from apforms.web.models import LA_ADMIN, ArchiveCopy, Profile, Record, Return, School

_OPEN = ("/sign-in", "/static/")

F = TypeVar("F", bound=Callable[..., HttpResponse])


def profile(request: HttpRequest) -> Profile:
    prof = getattr(request.user, "profile", None)
    if prof is None:
        raise Http404
    return prof


class SignedInMiddleware:
    """Every page but sign-in needs a signed-in user with a profile. A user with an
    authenticator enters its code before anything else; then a one-time password is changed;
    then LA staff without an authenticator set one up (``accounts.needs_two_factor``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if not path.startswith(_OPEN):
            user = request.user
            if not user.is_authenticated or getattr(user, "profile", None) is None:
                return HttpResponseRedirect(f"{reverse('sign-in')}?next={path}")
            out, two_factor, setup = reverse("sign-out"), reverse("two-factor"), reverse("two-factor-setup")
            verified = user.is_verified()
            if (
                not verified
                and path not in (two_factor, out)
                and accounts.two_factor_device(user) is not None
            ):
                return HttpResponseRedirect(f"{reverse('two-factor')}?next={path}")
            if user.profile.must_change_password:
                if path not in (reverse("password"), out):
                    return HttpResponseRedirect(reverse("password"))
            elif not verified and user.profile.is_la and path not in (two_factor, setup, out):
                return HttpResponseRedirect(setup)
        response = self.get_response(request)
        # Pages hold children's data: never cached, never framed, scripts only from here.
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'self'",
        )
        return response


def context(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    prof = getattr(user, "profile", None)
    pending = bool(prof) and not user.is_verified() and accounts.needs_two_factor(user)  # type: ignore[union-attr]
    return {
        "two_factor_pending": pending,
        "profile": prof,
        "is_la": bool(prof and prof.is_la),
        "is_admin": bool(prof and prof.role == LA_ADMIN),
        "is_lead": bool(prof and prof.is_lead),
    }


def schools(request: HttpRequest) -> QuerySet[School]:
    """The schools the user may work for: all (LA staff) or their own."""
    prof = profile(request)
    return School.objects.all() if prof.is_la else School.objects.filter(pk=prof.school_id)


def records(request: HttpRequest) -> QuerySet[Record]:
    return Record.objects.filter(school__in=schools(request)).select_related("school")


def record_for(request: HttpRequest, record_id: Any) -> Record:
    try:
        return records(request).get(pk=record_id)
    except (Record.DoesNotExist, ValueError):
        raise Http404 from None


def return_for(request: HttpRequest, return_id: Any) -> Return:
    try:
        return Return.objects.filter(school__in=schools(request)).get(pk=return_id)
    except (Return.DoesNotExist, ValueError):
        raise Http404 from None


def archive_copies(request: HttpRequest) -> QuerySet[ArchiveCopy]:
    return ArchiveCopy.objects.filter(school__in=schools(request)).select_related("school")


def archive_copy_for(request: HttpRequest, entry_id: str) -> ArchiveCopy | None:
    """The school an archive entry is kept for, if the user may see the entry: LA staff any
    (one added outside the web app has none), a school user their school's only (else 404)."""
    copy = ArchiveCopy.objects.filter(entry=entry_id).select_related("school").first()
    if profile(request).is_la:
        return copy
    if copy is None or copy.school_id != profile(request).school_id:
        raise Http404
    return copy


def job_for(request: HttpRequest, job_id: Any) -> Job:
    """A bulk run, to the LA user who started it only; anyone else, as a run that does not
    exist: 404."""
    job = Job.load(jobs.data(), str(job_id))
    if job is None or job.owner is None or job.owner != request.user.pk or not profile(request).is_la:
        raise Http404
    return job


def la_only(view: F) -> F:
    """LA staff only (bulk SLAs, disposal); anyone else gets "not found"."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not profile(request).is_la:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped  # type: ignore[return-value]


def admin_only(view: F) -> F:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if profile(request).role != LA_ADMIN:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped  # type: ignore[return-value]


def school_lead_only(view: F) -> F:
    """A school's lead only (their school's activity); anyone else, LA staff included, gets
    "not found"."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not profile(request).is_lead:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped  # type: ignore[return-value]
