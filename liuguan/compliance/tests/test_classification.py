"""Classified management: facts per person, the first matching rule of the longest prefix, recompute on change."""

import datetime as dt

import pytest
from django.utils import timezone

from liuguan.accounts.roles import Role
from liuguan.compliance.classification import person_facts, rule_matches, tiers_recompute
from liuguan.compliance.models import ClassificationRule, ForeignDocument, PersonTier
from liuguan.compliance.services.breaches import breach_record
from liuguan.conftest import OUT_COMMUNITY, login
from liuguan.core.identity import china_today
from liuguan.registry.models import FieldChange

from . import factories_agreements as make

pytestmark = pytest.mark.django_db

TODAY = china_today()


def ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def settled_worker(*, community=None, employer_reported=True, filed=True, arrived_days_ago=400):
    """A migrant a year and more at a filed rental house, working for an employer that reported them."""
    who = make.person()
    home = make.house(community) if community else make.house()
    firm = make.employer(home.community_id)
    make.stay(who, house=home, employer=firm, arrived_on=ago(arrived_days_ago))
    if filed:
        make.filing(home, starts_on=ago(arrived_days_ago), ends_on=ago(-500), tenants=[who])
    if employer_reported:
        make.report("employer", who, employer=firm, occurred_on=ago(arrived_days_ago), deadline_days=7, lag_days=1)
    return who, home, firm


def test_facts_are_read_from_stays_filings_reports_breaches_and_documents(divisions):
    who, _home, _firm = settled_worker()

    facts = person_facts([who.pk], TODAY)[who.pk]

    assert facts == {
        "community": "510104001001",
        "stay_days": 400,
        "filed_tenancy": True,
        "stable_employer": True,
        "employer_days": 400,
        "permit_held": False,
        "breaches": 0,
        "late_registration": False,
        "foreign": False,
        "foreign_doc_days": None,
    }


def test_a_settled_worker_is_long_term_stable_by_the_third_rule(divisions):
    who, _home, _firm = settled_worker()

    assert tiers_recompute([who.pk], as_of=TODAY) == 1

    tier = PersonTier.objects.get(person=who)
    assert (tier.tier, tier.rule_label, tier.reverify_days) == ("stable", "居住满一年、租赁已备案、就业稳定", 180)
    assert tier.rule.position == 30


def test_an_employer_put_on_the_stay_recently_and_not_reporting_is_not_stable(divisions):
    who, _home, _firm = settled_worker(employer_reported=False)
    stay = who.stays.get()
    FieldChange.objects.create(object_type="registry.stay", object_id=stay.pk, field="employer_id", old_value=None,
                               new_value=stay.employer_id, channel="collector",
                               recorded_at=timezone.now() - dt.timedelta(days=10))  # fmt: skip

    facts = person_facts([who.pk], TODAY)[who.pk]
    tiers_recompute([who.pk], as_of=TODAY)

    assert (facts["stable_employer"], facts["employer_days"]) == (False, 10)
    assert PersonTier.objects.get(person=who).tier == "ordinary"


def test_three_years_without_breaches_is_stable_without_a_filing(divisions):
    who, _home, _firm = settled_worker(filed=False, employer_reported=False, arrived_days_ago=1100)

    tiers_recompute([who.pk], as_of=TODAY)

    assert PersonTier.objects.get(person=who).rule.position == 40


def test_a_newcomer_is_ordinary(divisions):
    who, _home, _firm = settled_worker(arrived_days_ago=20)

    tiers_recompute([who.pk], as_of=TODAY)

    tier = PersonTier.objects.get(person=who)
    assert (tier.tier, tier.reverify_days, tier.rule.conditions) == ("ordinary", 90, {})


def test_an_incident_moves_the_person_to_attention_at_once_and_back_after_a_year(users):
    who, home, _firm = settled_worker()
    tiers_recompute([who.pk], as_of=TODAY)
    assert PersonTier.objects.get(person=who).tier == "stable"

    breach_record(actor=users[Role.POLICE], house_id=home.pk, person_id=who.pk, occurred_on=ago(1), note="打架斗殴")

    tier = PersonTier.objects.get(person=who)
    assert (tier.tier, tier.rule.position, tier.facts["breaches"]) == ("attention", 10, 1)
    tiers_recompute([who.pk], as_of=TODAY + dt.timedelta(days=365))
    assert PersonTier.objects.get(person=who).tier == "stable"


def test_a_foreigner_whose_visa_ends_soon_needs_attention(divisions):
    visitor = make.person("John Smith", nationality="GBR", doc_type="passport", number="E12345678")
    make.stay(visitor, house=make.house(), arrived_on=ago(50))
    ForeignDocument.objects.create(person=visitor, kind="visa", number="V1", expires_on=ago(-10), channel="hotel")
    ForeignDocument.objects.create(person=visitor, kind="visa", number="V0", expires_on=ago(40), channel="hotel")

    tiers_recompute([visitor.pk], as_of=TODAY)

    tier = PersonTier.objects.get(person=visitor)
    assert (tier.tier, tier.rule.position, tier.facts["foreign_doc_days"]) == ("attention", 20, 10)
    ForeignDocument.objects.create(person=visitor, kind="residence_permit", number="R1", expires_on=ago(-365),
                                   channel="landlord")  # fmt: skip
    tiers_recompute([visitor.pk], as_of=TODAY)
    assert PersonTier.objects.get(person=visitor).tier == "ordinary"


def test_the_rules_of_the_longest_matching_prefix_apply(divisions):
    ClassificationRule.objects.create(prefix="5101", position=10, tier="attention", label="成都：新来人员重点关注",
                                      conditions={"max_stay_days_unknown": 1}, reverify_days=15)  # fmt: skip
    ClassificationRule.objects.create(prefix="5101", position=20, tier="ordinary", label="成都：一般",
                                      conditions={}, reverify_days=60)  # fmt: skip
    chengdu, _h, _f = settled_worker()
    mianyang, _h2, _f2 = settled_worker(community=OUT_COMMUNITY)

    tiers_recompute([chengdu.pk, mianyang.pk], as_of=TODAY)

    assert PersonTier.objects.get(person=chengdu).rule_label == "成都：一般"  # the unknown condition never holds
    assert PersonTier.objects.get(person=mianyang).rule.position == 30


def test_rule_conditions():
    facts = {"stay_days": None, "breaches": 0, "foreign": False, "foreign_doc_days": None, "filed_tenancy": True}
    assert rule_matches({}, facts)
    assert rule_matches({"filed_tenancy": True, "max_breaches": 0}, facts)
    assert not rule_matches({"min_stay_days": 1}, facts)
    assert not rule_matches({"foreign_doc_expiring_days": 30}, facts)
    assert not rule_matches({"no_such_fact": 0}, facts)


def test_recompute_writes_only_what_changed_in_a_constant_number_of_queries(divisions, django_assert_max_num_queries):
    people = [settled_worker()[0].pk for _ in range(12)]
    with django_assert_max_num_queries(20):
        assert tiers_recompute(people, as_of=TODAY) == 12
    with django_assert_max_num_queries(20):
        assert tiers_recompute(people, as_of=TODAY) == 0


def test_the_person_page_shows_the_tier_and_the_rule(users):
    who, _home, _firm = settled_worker()
    client = login(users[Role.STATION_OFFICER])
    assert (
        "Not classified yet." in client.get(f"/registry/people/{who.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )

    tiers_recompute([who.pk], as_of=TODAY)
    page = client.get(f"/registry/people/{who.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "居住满一年、租赁已备案、就业稳定" in page
    assert "re-verify every 180 days" in page
