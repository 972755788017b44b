import inspect

import pytest

from liuguan.demo.defects import Rates
from liuguan.demo.generator import ProvinceGenerator
from liuguan.demo.models import TruePerson
from liuguan.demo.runs import world_build
from liuguan.demo.writers import TABLES, IdBlocks, column, counting_reserve
from liuguan.registry.models import Person, Stay

from .conftest import AS_OF


def _generator(persons, seed=3):
    ids = IdBlocks(counting_reserve(), block=1000)
    world = world_build(seed=seed, persons=persons, as_of=AS_OF, ids=ids, run_id=1)
    return ProvinceGenerator(world, seed=seed, persons=persons, rates=Rates(), ids=ids)


@pytest.mark.django_db
def test_chunks_come_one_at_a_time_with_the_requested_number_of_people(sichuan):
    # given
    generator = _generator(450)
    # when
    chunks = generator.chunks(100)
    first = next(chunks)
    # then: a generator that has made one chunk has not made the other 350 people yet
    assert inspect.isgenerator(chunks)
    assert first.persons == 100 and len(first.rows["trueperson"]) == 100
    assert generator.index < 250
    assert [c.persons for c in chunks] == [100, 100, 100, 50]


@pytest.mark.django_db
def test_rows_of_a_chunk_point_only_at_people_and_houses_of_it_or_earlier_chunks(sichuan):
    person_at, house_at = column("stay", "person_id"), column("stay", "house_id")
    people, houses, stays, filings = set(), set(), set(), set()
    for chunk in _generator(600).chunks(97):
        people |= {row[0] for row in chunk.rows["person"]}
        houses |= {row[0] for row in chunk.rows["house"]}
        stays |= {row[0] for row in chunk.rows["stay"]}
        filings |= {row[0] for row in chunk.rows["filing"]}
        assert {row[person_at] for row in chunk.rows["stay"]} <= people
        # Hotel guests' stays name a hotel (written up front) instead of a house.
        assert {row[house_at] for row in chunk.rows["stay"]} - {None} <= houses
        # Landlords, tenants and reports: people, stays and filings of this chunk or earlier ones.
        assert {row[column("house", "landlord_id")] for row in chunk.rows["house"]} - {None} <= people
        assert {row[column("tenant", "filing_id")] for row in chunk.rows["tenant"]} <= filings
        assert {row[column("tenant", "stay_id")] for row in chunk.rows["tenant"]} <= stays
        assert {row[column("report", "person_id")] for row in chunk.rows["report"]} <= people
        assert {row[column("report", "stay_id")] for row in chunk.rows["report"]} <= stays


@pytest.mark.django_db
def test_rows_fill_every_column_that_has_no_default(sichuan):
    chunk = next(_generator(200).chunks(200))
    for table, (model, columns) in TABLES.items():
        fields = {f.attname: f for f in model._meta.concrete_fields}
        assert set(columns) <= set(fields), table
        for name in set(fields) - set(columns):
            field = fields[name]
            assert field.null or field.has_default() or field.has_db_default(), f"{table}.{name} needs a value"
        for row in chunk.rows.get(table, []):
            assert len(row) == len(columns)


def _snapshot():
    people = sorted(
        Person.objects.values_list(
            "doc_type",
            "doc_number",
            "name",
            "name_pinyin",
            "sex",
            "birth_date",
            "ethnicity",
            "hukou_code",
            "hukou_address",
            "phone",
        )
    )
    stays = sorted(
        Stay.objects.values_list(
            "person__doc_number",
            "community_id",
            "address",
            "reason",
            "arrived_on",
            "registered_at",
            "departed_on",
            "source_channel",
            "employer__credit_code",
        )
    )
    return people, stays


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_rows_and_another_seed_other_rows(generate):
    # given
    generate(seed=11, persons=500)
    first = _snapshot()
    # when
    generate(seed=11, persons=500, reset=True)
    again = _snapshot()
    generate(seed=12, persons=500, reset=True)
    other = _snapshot()
    # then
    assert first == again
    assert len(first[0]) > 400 and len(first[1]) > 400
    assert first[0] != other[0] and first[1] != other[1]


@pytest.mark.django_db
def test_other_defect_rates_leave_the_population_as_it_was(generate):
    def population():
        return sorted(
            TruePerson.objects.values_list(
                "true_key", "doc_number", "name", "phone", "community_id", "employer__credit_code", "arrived_on"
            )
        )

    # given
    generate(seed=11, persons=500)
    first = population()
    # when: more households go unregistered, more registrations come late
    generate(seed=11, persons=500, reset=True, rates=Rates(unregistered=0.3, late=0.2))
    # then
    assert population() == first
    assert TruePerson.objects.filter(registered=False).count() > 100
