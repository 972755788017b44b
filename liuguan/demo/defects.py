"""Which records go wrong, and how: late registrations, misrecorded fields, second registrations.

Every draw comes from the `defects` stream, never from the one that makes people, so a different defect
rate changes only the defects: the same seed still gives the same population.
"""

import datetime as dt
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from liuguan.registry.codes import DocType, SourceChannel

from . import names
from .draw import Weighted, below, between, one_of
from .geography import Plan
from .numbers import CitizenNumbers, swap_digits
from .people import Someone, hukou_address
from .reference import HAN, HUI, TIBETAN, YI

DAY = dt.timedelta(days=1)
MINORITIES = (YI, TIBETAN, HUI, "06", "15")
# Registration channels only: landlords and employers register only people they report (duties.py).
SECOND_CHANNELS = (SourceChannel.SELF, SourceChannel.IMPORT, SourceChannel.COLLECTOR)


@dataclass
class Rates:
    """Defect rates; the defaults are what the data-quality pages of the demo are tuned to show."""

    late: float = 0.08
    wrong: float = 0.03
    unregistered: float = 0.10
    duplicate: float = 0.02
    # Share of mistyped duplicates whose old check digit was kept, so the number no longer validates.
    check_kept: float = 0.3
    foreign: float = 0.003
    hmt: float = 0.003


class Defects:
    """Decides, person by person and stay by stay, what the register gets wrong."""

    def __init__(
        self, *, seed: int, rates: Rates, plan: Plan, numbers: CitizenNumbers, last_day: dt.date, tz: ZoneInfo
    ):
        self.rng = random.Random(f"liuguan-demo:{seed}:defects")
        self.rates, self.plan, self.numbers, self.last_day, self.tz = rates, plan, numbers, last_day, tz

    def unregistered(self) -> bool:
        """A whole household lives here and no registration channel ever sees it (a duty holder's report may)."""
        return self.rng.random() < self.rates.unregistered

    def late_lag(self, room: int, threshold: int) -> int | None:
        """Days from arrival to a late registration, beyond the threshold; None when this stay is on time."""
        if room > threshold and self.rng.random() < self.rates.late:
            return between(self.rng, threshold + 1, min(room, threshold + 90))
        return None

    def misrecord(self, p: Someone) -> tuple[str, str] | None:
        """One field of a citizen written wrongly: two phone digits swapped, the ethnicity, the hukou address."""
        rng = self.rng
        if p.doc_type != DocType.CITIZEN_ID or rng.random() >= self.rates.wrong:
            return None
        field = Weighted.of([("ethnicity", 3), ("hukou_address", 3)] + ([("phone", 4)] if p.phone else [])).draw(rng)
        if field == "phone":
            return field, swap_digits(rng, p.phone)
        if field == "ethnicity":
            return field, one_of(rng, MINORITIES) if p.ethnicity == HAN else HAN
        value = p.hukou_address
        while value == p.hukou_address:
            value = hukou_address(rng, self.plan, p.hukou_code)
        return field, value

    def duplicate(self, p: Someone, arrived: dt.date) -> dict | None:
        """The same person registered again later: a mistyped number, sometimes a homophone or traditional name."""
        rng = self.rng
        if p.doc_type not in (DocType.CITIZEN_ID, DocType.HMT_RESIDENT) or rng.random() >= self.rates.duplicate:
            return None
        typo = self.numbers.mistype(
            rng,
            index=p.index,
            number=p.doc_number,
            recompute=rng.random() >= self.rates.check_kept,
            hmt=p.doc_type == DocType.HMT_RESIDENT,
        )
        u = rng.random()
        variant, name = "none", p.name
        if u < 0.3:
            variant, name = "homophone", names.homophone(rng, p.name) or p.name
        elif u < 0.45:
            variant, name = "traditional", names.traditional(p.name) or p.name
        if name == p.name:
            variant = "none"
        room = max(0, (self.last_day - arrived).days)
        registered = dt.datetime.combine(
            arrived + between(rng, 0, min(room, 180)) * DAY, dt.time(between(rng, 9, 17), below(rng, 60)), self.tz
        )
        return {
            "typo": typo,
            "name": name,
            "variant": variant,
            "registered": registered,
            "channel": one_of(rng, SECOND_CHANNELS),
            "phone": p.phone if rng.random() < 0.7 else "",
        }
