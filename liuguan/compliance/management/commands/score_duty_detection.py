"""Score breach detection on the demo province: what it found against the gaps the generator injected."""

import datetime as dt
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError

from liuguan.accounts.models import User
from liuguan.compliance.codes import BreachKind, DutyChannel
from liuguan.compliance.detection import detect_breaches
from liuguan.compliance.models import Breach
from liuguan.compliance.selectors_agreements import agreements_expired
from liuguan.demo.models import DemoRun, DutyGap, DutyGapKind


@dataclass
class Score:
    """One kind of finding: the injected set against the detected set (of stay, report or agreement ids)."""

    label: str
    truth: set
    found: set

    @property
    def true_positives(self) -> int:
        return len(self.truth & self.found)

    @property
    def false_positives(self) -> int:
        return len(self.found - self.truth)

    @property
    def false_negatives(self) -> int:
        return len(self.truth - self.found)

    @property
    def precision(self) -> float:
        """Share of what was found that was injected; 1.0 when nothing was found (nothing wrong was claimed)."""
        return self.true_positives / len(self.found) if self.found else 1.0

    @property
    def recall(self) -> float:
        """Share of what was injected that was found; 1.0 when nothing was injected."""
        return self.true_positives / len(self.truth) if self.truth else 1.0


def _gaps(run: DemoRun, kind: str, field: str, channel: str | None = None) -> set:
    qs = DutyGap.objects.filter(run=run, kind=kind)
    if channel:
        qs = qs.filter(channel=channel)
    return set(qs.values_list(field, flat=True))


def _breaches(kind: str, field: str, channel: str | None = None) -> set:
    qs = Breach.objects.filter(kind=kind)
    if channel:
        qs = qs.filter(channel=channel)
    return set(qs.values_list(field, flat=True))


def duty_scores(run: DemoRun, *, as_of: dt.date, officer) -> list[Score]:
    """Missing reports are matched by stay, late reports by report, expired agreements by agreement.

    Breaches are read as detection recorded them; expired agreements as `officer` (a province account) sees
    them through the agreements selector: ended, not terminated, and no later agreement with the same party.
    """
    scores = [
        Score(
            f"missing {channel} reports",
            _gaps(run, DutyGapKind.MISSING_REPORT, "stay_id", channel),
            _breaches(BreachKind.MISSING_REPORT, "stay_id", channel),
        )
        for channel in DutyChannel.values
    ]
    scores.append(
        Score(
            "late reports",
            _gaps(run, DutyGapKind.LATE_REPORT, "report_id"),
            _breaches(BreachKind.LATE_REPORT, "report_id"),
        )
    )
    expired = {a.pk for a in agreements_expired(user=officer, today=as_of)}
    scores.append(Score("expired agreements", _gaps(run, DutyGapKind.EXPIRED_AGREEMENT, "agreement_id"), expired))
    return scores


class Command(BaseCommand):
    help = (
        "Run breach detection as of the demo province's date and print, per kind (missing landlord, employer and "
        "hotel reports, late reports, expired agreements), precision and recall against the injected gaps. "
        "Exits non-zero when --min-precision or --min-recall is not met."
    )

    def add_arguments(self, parser):
        parser.add_argument("--run", type=int, default=None, help="demo run id (default: the latest)")
        parser.add_argument("--min-precision", type=float, default=0.0, help="fail below this precision (0-1)")
        parser.add_argument("--min-recall", type=float, default=0.0, help="fail below this recall (0-1)")
        parser.add_argument(
            "--officer",
            default="province",
            help="account whose view of expired agreements is scored (default: the demo's %(default)s)",
        )
        parser.add_argument("--no-detect", action="store_true", help="score the breaches already recorded")

    def handle(self, *args, **options):
        runs = DemoRun.objects.order_by("-pk")
        run = runs.filter(pk=options["run"]).first() if options["run"] else runs.first()
        if run is None:
            raise CommandError("no demo run found; generate one with `manage.py demo`")
        officer = User.objects.filter(username=options["officer"], is_active=True).first()
        if officer is None:
            raise CommandError(f"no active account {options['officer']!r} to read expired agreements as")
        as_of = dt.date.fromisoformat(run.params["as_of"])
        if not options["no_detect"]:
            found = detect_breaches(as_of=as_of)
            self.stdout.write(
                "detection as of {}: {} new breaches ({})".format(
                    as_of, sum(found.values()), ", ".join(f"{k} {v}" for k, v in found.items())
                )
            )
        scores = duty_scores(run, as_of=as_of, officer=officer)
        self.stdout.write(f"demo run #{run.pk} (seed {run.seed}, {run.persons:,} people, as of {as_of})")
        header = (
            f"  {'kind':<26} {'injected':>8} {'found':>7} {'TP':>6} {'FP':>6} {'FN':>6} {'precision':>9} {'recall':>7}"
        )
        self.stdout.write(header)
        failed = []
        for s in scores:
            self.stdout.write(
                f"  {s.label:<26} {len(s.truth):>8} {len(s.found):>7} {s.true_positives:>6} {s.false_positives:>6} "
                f"{s.false_negatives:>6} {s.precision:>9.3f} {s.recall:>7.3f}"
            )
            if s.precision < options["min_precision"] or s.recall < options["min_recall"]:
                failed.append(s.label)
        if failed:
            raise CommandError(f"below the thresholds: {', '.join(failed)}")
        self.stdout.write(self.style.SUCCESS("all kinds meet the thresholds"))
