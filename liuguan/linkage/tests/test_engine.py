import duckdb
import pytest

from liuguan.core.audit import AuditEvent
from liuguan.linkage import engine
from liuguan.linkage.comparisons import COMPARISONS, one_edit
from liuguan.linkage.linkage_testfile import generate
from liuguan.linkage.standardise import standardise, standardise_one

BY_NAME = {c.name: c for c in COMPARISONS}


@pytest.fixture(scope="module")
def linked():
    raw = generate(3000, seed=7)
    std = standardise(raw)
    model = engine.train(std, max_pairs=2e5)
    pairs = engine.predict(std, model, threshold=0.5)
    return raw, std, model, pairs


def _std(**record):
    return standardise_one({"record_id": "x", **record})


def level(comparison, a, b):
    """The label of the level a pair of records reaches."""
    left, right = engine._engine_record(_std(**a)), engine._engine_record(_std(**b))
    comp = BY_NAME[comparison]
    gamma = comp.gamma(left, right)
    levels = [lv for lv in comp.levels if not lv.null]
    return "null" if gamma == -1 else levels[len(levels) - 1 - gamma].label


def test_one_edit():
    assert one_edit("110105", "110106") and one_edit("110105", "111005") and one_edit("abc", "abxc")
    assert not one_edit("110105", "111006") and not one_edit("abc", "cba")


def test_document_levels():
    valid, typo = "11010519491231002X", "11010519491231003X"
    twin = "110105194912310045"  # the next sequence number, also valid
    assert level("doc", {"doc_number": valid}, {"doc_number": "110105491231002"}) == "document number exact"
    assert level("doc", {"doc_number": valid}, {"doc_number": typo}) == "document number one typo or transposition"
    assert level("doc", {"doc_number": valid}, {"doc_number": "11010591491231002X"}) == (
        "document number one typo or transposition"
    )
    assert level("doc", {"doc_number": valid}, {"doc_number": twin}) == "document number different"
    # MOD 11-2 catches every single typo, so two valid numbers one character apart are passports
    assert level("doc", {"doc_number": "E1234567", "doc_type": "passport"}, {"doc_number": "E1234568"}) == (
        "document numbers differ in one character, both valid"
    )
    assert level("doc", {"doc_number": valid}, {}) == "null"


def test_name_levels():
    assert level("name", {"name": "张伟"}, {"name": "張偉"}) == "name exact characters"
    assert level("name", {"name": "张伟"}, {"name": "张维"}) == "same pinyin, different characters"
    assert level("name", {"name": "张伟"}, {"name": "ZHANG Wei"}) == "same pinyin, different characters"
    assert level("name", {"name": "张晓明"}, {"name": "Zang Xiaomin"}) == "close pinyin (z-zh, c-ch, s-sh, n-l, -n/-ng)"
    assert level("name", {"name": "张晓明"}, {"name": "张晓东"}) == "same surname, one given-name character different"
    assert level("name", {"name": "张晓明"}, {"name": "李建国"}) == "name different"


def test_birth_sex_phone_and_place_levels():
    assert level("birth", {"birth_date": "1990-03-07"}, {"birth_date": "1990-07-03"}) == (
        "birth date month and day swapped"
    )
    assert level("birth", {"birth_date": "1990-03-07"}, {"birth_date": "1991-03-07"}) == "birth date one typo"
    assert level("birth", {"birth_date": "1990-03-07"}, {"birth_date": "19900307"}) == "birth date exact"
    assert level("sex", {"sex": "男"}, {"sex": "M"}) == "same sex"
    assert level("phone", {"phone": "+86 13800138000"}, {"phone": "13800138000"}) == "same phone"
    assert level("hukou", {"hukou": "510104"}, {"hukou": "四川省成都市武侯区"}) == "hukou in the same prefecture"
    assert level("address", {"address": "四川省成都市锦江区"}, {"address": "四川省绵阳市涪城区"}) == (
        "address in the same province"
    )
    assert (
        level(
            "nationality",
            {"nationality": "USA", "doc_type": "passport", "doc_number": "E1234567"},
            {"nationality": "美国", "doc_type": "passport", "doc_number": "e1234567"},
        )
        == "same nationality and passport number"
    )


def test_training_finds_the_planted_duplicates(linked):
    raw, std, model, pairs = linked
    clusters = engine.cluster(std, pairs, threshold=0.9)
    con = duckdb.connect()
    con.register("c", clusters)
    con.register("raw", raw.select(["record_id", "person_id"]))
    tp, predicted, true = con.sql(
        """
        WITH j AS (SELECT c.cluster_id, raw.person_id FROM c JOIN raw USING (record_id))
        SELECT (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) n FROM j GROUP BY cluster_id, person_id)),
               (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) n FROM j GROUP BY cluster_id)),
               (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) n FROM j GROUP BY person_id))
        """
    ).fetchall()[0]
    assert true > 500
    assert tp / predicted > 0.97
    assert tp / true > 0.95
    assert {f"gamma_{c.name}" for c in COMPARISONS} <= set(pairs.column_names)


def test_score_pair_agrees_with_splink(linked):
    raw, std, model, pairs = linked
    rows = {r["record_id"]: r for r in std.to_pylist()}
    sample = pairs.slice(0, 300).to_pylist()
    for pair in sample:
        probability, reasons = engine.score_pair(model, rows[pair["record_id_l"]], rows[pair["record_id_r"]])
        gammas = {reason["comparison"]: reason["gamma"] for reason in reasons}
        assert gammas == {c.name: pair[f"gamma_{c.name}"] for c in COMPARISONS}
    # without term-frequency adjustment the weights agree closely for pairs not on exact name or phone
    plain = [p for p in sample if p["gamma_name"] != 5 and p["gamma_phone"] != 1]
    for pair in plain[:50]:
        probability, _ = engine.score_pair(model, rows[pair["record_id_l"]], rows[pair["record_id_r"]])
        assert probability == pytest.approx(pair["match_probability"], abs=1e-6)


def test_explain_names_the_levels(linked):
    _, _, model, pairs = linked
    reasons = engine.explain(model, {"doc": 5, "name": 4, "birth": 2})
    assert [r["level"] for r in reasons] == [
        "document number exact",
        "same pinyin, different characters",
        "birth date month and day swapped",
    ]
    assert reasons[0]["match_weight"] > 5


def test_generic_baseline_trains_on_raw_fields():
    raw = generate(1500, seed=3)
    model = engine.train(raw, generic=True, max_pairs=1e5)
    pairs = engine.predict(raw, model, threshold=0.9)
    assert pairs.num_rows > 0 and "gamma_name" in pairs.column_names


@pytest.mark.django_db
def test_model_save_versions_activates_and_audits(linked):
    _, _, model, _ = linked
    assert engine.active_model() is None
    first = engine.model_save(model=model, trained_on="test", records=3000, stats={})
    second = engine.model_save(model=model, trained_on="test again", records=3000, stats={"x": 1})
    first.refresh_from_db()
    assert (first.version, second.version, first.active, second.active) == (1, 2, False, True)
    assert engine.active_model() == model
    assert AuditEvent.objects.filter(action="linkage.model_trained").count() == 2


def test_a_slip_in_the_area_or_birth_digits_with_a_fitted_check_digit_is_its_own_level_and_twins_are_not():
    from liuguan.core.identity import mod11_2_check
    from liuguan.linkage.comparisons import _body_slip

    def valid(body):
        return {"doc_std": body + mod11_2_check(body), "doc_valid": True}

    person = valid("51010419900307123")
    slip = valid("51010419900807123")  # one digit of the birth date mistyped, check digit recomputed
    twin = valid("51010419900307125")  # the next sequence number: a sibling born the same day
    assert _body_slip(person, slip) and _body_slip(slip, person)
    assert not _body_slip(person, twin)
    assert not _body_slip(person, {**slip, "doc_valid": False})
    assert not _body_slip(person, valid("51010419900807125"))  # two differences
