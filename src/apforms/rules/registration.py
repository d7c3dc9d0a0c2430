"""Must this provider register as a school? (Education Act 1996 s463; DfE, Registration of
independent schools, 2019.)

An institution that gives full-time education (DfE: more than 18 hours a week) to 5 or more
pupils of compulsory school age, or to one who is looked after or has an EHC plan, must be
registered as an independent school; "it is an offence to operate an unregistered
independent school". Used by the bulk SLA run and by ``apforms check``; thresholds come
from configuration because the Children's Wellbeing and Schools Act 2026 changes them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from apforms.model.config import RegistrationThresholds

SOURCE = (
    "Education Act 1996 s463 (meaning of “independent school”); Education and Skills Act 2008 s92 "
    "and s96 (independent educational institutions; conducting one unregistered is an offence); "
    "DfE Registration of independent schools (2019), part A (full-time education); Children's "
    "Wellbeing and Schools Act 2026 s43 (substitutes s92 of the 2008 Act: one child who is looked "
    "after or has SEN; commencement not confirmed)"
)


@dataclass(frozen=True)
class Attendance:
    """One pupil's time at one provider, as one school arranged it."""

    provider: str
    pupil: str
    hours_per_week: float
    school: str = ""
    looked_after: bool = False
    ehcp: bool = False
    sen: bool = False


@dataclass
class RegistrationFlag:
    """A provider that, on these figures, ought to be registered as a school but is not."""

    provider: str
    full_time_pupils: int
    looked_after: int
    ehcp: int
    sen: int
    reasons: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.provider}: " + "; ".join(self.reasons)


def registration_flags(
    attendances: Iterable[Attendance],
    registered: Mapping[str, bool],
    thresholds: RegistrationThresholds,
) -> dict[str, RegistrationFlag]:
    """Flags for every unregistered provider whose figures meet the test, keyed by provider.

    A pupil's hours at a provider are added up across the schools that placed them, so a
    pupil sent by two schools is counted once, with both placements' hours.
    """
    per_pupil: dict[str, dict[str, list[Attendance]]] = defaultdict(lambda: defaultdict(list))
    for a in attendances:
        per_pupil[a.provider][a.pupil].append(a)
    flags: dict[str, RegistrationFlag] = {}
    for provider, pupils in sorted(per_pupil.items()):
        if registered.get(provider, False):
            continue
        full_time = {
            pupil: rows
            for pupil, rows in pupils.items()
            if sum(r.hours_per_week for r in rows) > thresholds.full_time_hours_over
        }
        counts = {
            trait: sum(1 for rows in full_time.values() if any(getattr(r, trait) for r in rows))
            for trait in ("looked_after", "ehcp", "sen")
        }
        reasons = _reasons(len(full_time), counts, thresholds)
        if reasons:
            flags[provider] = RegistrationFlag(
                provider, len(full_time), counts["looked_after"], counts["ehcp"], counts["sen"], reasons
            )
    return flags


_TRAIT_WORDS = {"looked_after": "looked after", "ehcp": "with an EHC plan", "sen": "with SEN"}


def _reasons(full_time: int, counts: Mapping[str, int], t: RegistrationThresholds) -> list[str]:
    hours = f"more than {t.full_time_hours_over:g} hours a week"
    reasons = []
    if full_time >= t.pupils_at_least:
        reasons.append(
            f"{full_time} pupils full-time ({hours}); {t.pupils_at_least} or more must be at a "
            "registered school"
        )
    traits = [
        f"{counts[trait]} {'pupil' if counts[trait] == 1 else 'pupils'} {_TRAIT_WORDS[trait]}"
        for trait in t.single_pupil_triggers
        if counts.get(trait)
    ]
    if traits:
        both = " (a pupil may be both)" if len(traits) > 1 else ""
        reasons.append(f"{' and '.join(traits)} ({hours}){both}")
    return reasons
