from collections import Counter, defaultdict

import pytest

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.core.models import AuditEvent
from liuguan.demo.accounts import (
    COLLECTORS_PER_TOWNSHIP,
    DEMO_PASSWORD,
    FIELD_USERNAME,
    chain_find,
    field_accounts_plan,
)
from liuguan.demo.geography import plan_build
from liuguan.geo.models import Grid, OfficeKind
from liuguan.registry.codes import SourceChannel
from liuguan.registry.models import Stay


@pytest.mark.django_db
def test_every_populated_township_has_collectors_and_every_community_a_grid_worker(generate):
    # when
    run = generate(persons=1500)
    # then: two to six collectors per township with people, each working the township from a collection point
    field = list(User.objects.filter(username__regex=FIELD_USERNAME).select_related("office"))
    collectors = defaultdict(list)
    for user in field:
        assert user.division_id in user.username and user.check_password(DEMO_PASSWORD) and user.full_name
        if user.role == Role.COLLECTOR:
            assert len(user.division_id) == 9 and user.office.kind == OfficeKind.COLLECTION_POINT
            assert user.office.division_id.startswith(user.division_id)
            collectors[user.division_id[:9]].append(user.pk)
    residents = Stay.objects.filter(lodging__isnull=True)
    townships = {code[:9] for code in residents.values_list("community_id", flat=True)}
    low, high = COLLECTORS_PER_TOWNSHIP
    assert townships <= set(collectors) and all(low <= len(pks) <= high for pks in collectors.values())
    # every grid of a community with people has a worker of that community
    communities = set(residents.values_list("community_id", flat=True))
    for grid in Grid.objects.filter(community_id__in=communities).select_related("worker"):
        assert grid.worker.role == Role.GRID_WORKER and grid.worker.division_id == grid.community_id
    # every collector's registration names a collector of its township (the chain's have a named one too)
    by_township = defaultdict(set)
    for pk, division in User.objects.filter(role=Role.COLLECTOR).values_list("pk", "division_id"):
        by_township[division[:9]].add(pk)
    credited = Counter()
    for community, collector in residents.filter(source_channel=SourceChannel.COLLECTOR).values_list(
        "community_id", "collector_id"
    ):
        assert collector in by_township[community[:9]]
        credited[collector] += 1
    # and the work is shared among them
    assert len(credited) > 0.8 * sum(len(pks) for pks in collectors.values())
    # one audit event for the batch
    batch = AuditEvent.objects.get(action="user.create_batch")
    assert batch.changes["users"]["count"] == len(field) == run.summary["field_accounts_created"]


@pytest.mark.django_db
def test_field_workers_are_made_once_and_kept_by_a_reset(generate):
    # given
    generate(persons=600)
    field = set(User.objects.filter(username__regex=FIELD_USERNAME).values_list("pk", "username", "full_name"))
    # when
    run = generate(persons=600, reset=True)
    # then
    assert set(User.objects.filter(username__regex=FIELD_USERNAME).values_list("pk", "username", "full_name")) == field
    assert run.summary["field_accounts_created"] == 0
    assert AuditEvent.objects.filter(action="user.create_batch").count() == 1
    assert Stay.objects.filter(collector__username__regex=FIELD_USERNAME).exists()


@pytest.mark.django_db
def test_busier_townships_get_more_collectors_spread_over_their_communities(sichuan):
    # given: the plan of a large province (nothing is written)
    chain = chain_find()
    plan = plan_build(seed=7, persons=300_000, required=chain.communities)
    # when
    wanted = field_accounts_plan(plan, chain, points={}, stations={})
    # then
    expected, communities = Counter(), defaultdict(set)
    for code in plan.communities:
        expected[code[:9]] += plan.expected[code]
        communities[code[:9]].add(code)
    collectors = defaultdict(list)
    for account in wanted:
        if account.role == Role.COLLECTOR:
            collectors[account.community[:9]].append(account.community)
    assert set(collectors) == set(expected)
    by_load = sorted(expected, key=expected.get)
    counts = [len(collectors[township]) for township in by_load]
    assert counts == sorted(counts) and (counts[0], counts[-1]) == COLLECTORS_PER_TOWNSHIP
    for township, at in collectors.items():
        assert len(set(at)) == min(len(at), len(communities[township]))
    grid_workers = [a.community for a in wanted if a.role == Role.GRID_WORKER]
    assert sorted(grid_workers) == sorted(set(plan.communities) - {chain.community})
    assert len({a.username for a in wanted}) == len(wanted)
