"""Estimated omission and error rates beside the demo province's known truth, per area.

Omission: the capture-recapture estimate (selectors_omission) for the area and each unit of the level, with the
demo's truth (truth_omission), and whether each interval holds it. Error rate: a spot-check round over the area
for the last twelve months (reused when one with the same area, period, sample size and seed exists), answered
from the truth as the verifiers would find the people, and its estimate beside the true rate (truth_errors).
"""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.core.errors import DomainError
from liuguan.core.identity import china_today
from liuguan.core.scoping import jurisdiction
from liuguan.geo.models import Division
from liuguan.oversight import selectors_omission as omission
from liuguan.oversight import truth_omission
from liuguan.oversight.stats import Estimate


def _count(value: float | None) -> str:
    if value is None:
        return "—"
    return "inf" if value == float("inf") else f"{value:,.0f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def _interval(e: Estimate, show) -> str:
    if e is None or e.value is None:
        return "—"
    return f"{show(e.value)} [{show(e.low)}, {show(e.high)}]"


def _mark(inside: bool | None) -> str:
    return "" if inside is None else (_("yes") if inside else _("NO"))


def _previous_year(today: dt.date) -> dt.date:
    try:
        return today.replace(year=today.year - 1) + dt.timedelta(days=1)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 1, day=28) + dt.timedelta(days=1)


class Command(BaseCommand):
    help = (
        "Print the estimated omission rate (capture-recapture) and error rate (spot checks) for an area and each "
        "unit of a level, beside the demo province's known truth; refuses without demo truth unless --no-truth."
    )

    def add_arguments(self, parser):
        parser.add_argument("--level", default="county", choices=omission.AREA_LEVELS, help="units to list")
        parser.add_argument("--area", default="", help="division code (default: the acting user's jurisdiction)")
        parser.add_argument("--sample", type=int, default=5, help="spot-check records per collector (default 5)")
        parser.add_argument("--seed", type=int, default=1, help="seed of the spot-check draw (default 1)")
        parser.add_argument("--user", default="", help="acting officer (default: a province administrator)")
        parser.add_argument("--no-truth", action="store_true", help="print the estimates alone, without demo truth")
        parser.add_argument("--no-errors", action="store_true", help="skip the spot-check error rate")

    def handle(self, *args, **options):
        known = truth_omission.truth_available()
        if not known and not options["no_truth"]:
            raise CommandError(
                _(
                    "This database holds no demo truth (no generated demo run): there is nothing to compare the "
                    "estimates with. Generate one with `manage.py demo`, or pass --no-truth for the estimates alone."
                )
            )
        use_truth = known and not options["no_truth"]
        user = self._actor(options["user"], options["area"])
        area = options["area"] or jurisdiction(user)
        try:
            area = omission.area_in_scope(user, area)
        except DomainError as exc:
            raise CommandError(
                _("Area %(area)s is not inside %(user)s's jurisdiction") % {"area": area, "user": user}
            ) from exc
        level = options["level"]
        if omission.LEVEL_LENGTH[level] <= len(area):
            raise CommandError(_("Choose a level below the area"))
        self._omission(user, area, level, use_truth)
        if not options["no_errors"]:
            self._errors(user, area, level, options["sample"], options["seed"], use_truth)

    def _actor(self, username: str, area: str) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(_("No active account %(name)s") % {"name": username})
            return user
        for user in User.objects.filter(role=Role.PROVINCE_ADMIN, is_active=True).order_by("id"):
            code = jurisdiction(user)
            if code and (not area or area.startswith(code)):
                return user
        raise CommandError(_("No active province administrator whose jurisdiction holds the area; pass --user"))

    # -- omission ---------------------------------------------------------------------------------------------

    def _omission(self, user, area: str, level: str, use_truth: bool) -> None:
        write = self.stdout.write
        started = time.perf_counter()
        total, units = omission.omission_overview(user=user, level=level, parent=area)
        took = time.perf_counter() - started
        truths = whole = None
        if use_truth:
            truths = truth_omission.truth_by_prefix(area=area, length=omission.LEVEL_LENGTH[level])
            whole = truth_omission.total(truths.values(), area)
        names = dict(Division.objects.filter(code__in=[area, *units]).values_list("code", "name"))
        write(_("Omission rate by capture-recapture (list 1: registration channels; list 2: duty reports)"))
        estimated = _(
            "Estimated in %(seconds).2f s; design effect %(deff).2f; %(outside)d registered residents outside both "
            "lists' reach are not estimated."
        )
        write(estimated % {"seconds": took, "deff": total.dispersion, "outside": total.outside})
        header = [_("area"), _("name"), "n1", "n2", "m"]
        # xgettext:no-python-format (a bare "95%", not a placeholder)
        header += [_("N (95% interval)"), _("missed by collectors")]
        header.append(_("omission rate"))
        if use_truth:
            header += [_("true N"), _("in"), _("true missed"), _("in"), _("true rate"), _("in")]
        header.append(_("notes"))
        rows = [self._row(area, names.get(area, area), total, whole, use_truth)]
        rows += [
            self._row(code, names.get(code, code), f, (truths or {}).get(code), use_truth) for code, f in units.items()
        ]
        self._table(header, rows)
        if use_truth:
            judged = [(f, truths[c]) for c, f in units.items() if c in truths and f.n_hat.value is not None]
            inside = sum(1 for f, t in judged if f.n_hat.contains(t.residents))
            rate_inside = sum(1 for f, t in judged if t.rate is not None and f.rate.contains(t.rate))
            province = whole is not None and total.n_hat.contains(whole.residents)
            holds = _(
                "The interval of N holds the truth for the area: %(whole)s; for %(n)d of %(of)d units (%(share)s); "
                "the omission rate's interval for %(r)d of %(of)d."
            )
            share = _pct(inside / len(judged)) if judged else "—"
            write(holds % {"whole": _mark(province), "n": inside, "of": len(judged), "r": rate_inside, "share": share})
        write("")

    def _row(self, code, name, figure, known, use_truth) -> list[str]:
        row = [
            code,
            name,
            str(figure.n1),
            str(figure.n2),
            str(figure.m),
            _interval(figure.n_hat, _count),
            _interval(figure.missed, _count),
            _interval(figure.rate, _pct),
        ]
        if use_truth:
            if known is None:
                row += ["—"] * 6
            else:
                row += [
                    str(known.residents),
                    _mark(figure.n_hat.contains(known.residents) if figure.n_hat.value is not None else None),
                    str(known.missed),
                    _mark(figure.missed.contains(known.missed) if figure.missed.value is not None else None),
                    _pct(known.rate),
                    _mark(figure.rate.contains(known.rate) if figure.rate.value is not None and known.rate else None),
                ]
        row.append(",".join(figure.notes))
        return row

    def _table(self, header: list[str], rows: list[list[str]]) -> None:
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        for r in [header, *rows]:
            self.stdout.write("  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())

    # -- error rate -------------------------------------------------------------------------------------------

    def _errors(self, user, area: str, level: str, sample: int, seed: int, use_truth: bool) -> None:
        write = self.stdout.write
        write(_("Error rate by spot checks"))
        from liuguan.oversight.models import SpotCheckRound
        from liuguan.oversight.services.spotchecks import round_create
        from liuguan.oversight.truth_errors import answer_from_truth as answer
        from liuguan.oversight.truth_errors import error_comparison as compare

        end = china_today()
        start = _previous_year(end)
        spot_round = (
            SpotCheckRound.objects.filter(
                division_id=area, period_start=start, period_end=end, sample_size=sample, seed=seed
            )
            .order_by("-id")
            .first()
        )
        try:
            if spot_round is None:
                spot_round = round_create(
                    actor=user, division_code=area, period_start=start, period_end=end, sample_size=sample,
                    seed=seed, source="command",
                )  # fmt: skip
                write(_("Created spot-check round %(number)s") % {"number": spot_round.number})
            else:
                write(_("Reusing spot-check round %(number)s") % {"number": spot_round.number})
        except DomainError as exc:
            write(_("No spot-check round: %(why)s") % {"why": exc})
            return
        if use_truth:
            answered = answer(spot_round, actor=user)
            write(_("Answered %(n)d checks from the demo's truth") % {"n": answered})
        rows = compare(spot_round, level=level)
        header = [_("area"), _("name"), _("checked"), _("wrong")]
        # xgettext:no-python-format (a bare "95%", not a placeholder)
        header.append(_("error rate (95% interval)"))
        if use_truth:
            header += [_("true rate"), _("in")]
        table = []
        for r in rows:
            line = [r["unit"], r["name"], str(r["checked"]), str(r["wrong"]), _interval(r["estimate"], _pct)]
            if use_truth:
                judged = r["estimate"].value is not None and r["true_rate"] is not None
                line += [_pct(r["true_rate"]), _mark(r["contains"] if judged else None)]
            table.append(line)
        self._table(header, table)
        if use_truth and rows:
            units = [r for r in rows[1:] if r["estimate"].value is not None and r["true_rate"] is not None]
            write(
                _("The error rate's interval holds the truth for the area: %(whole)s; for %(n)d of %(of)d units.")
                % {"whole": _mark(rows[0]["contains"]), "n": sum(1 for r in units if r["contains"]), "of": len(units)}
            )
