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
    assert level("doc", {"doc_number": valid}, {"doc_number": twin}) == (
        "document numbers of the same area and birth date with another sequence number"
    )
    assert level("doc", {"doc_number": valid}, {"doc_number": "110105195012310065"}) == (
        "document number different"  # birth date differs too (and the check fails): not the sibling level
    )
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
    reasons = engine.explain(model, {"doc": 6, "name": 4, "birth": 2})
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


def test_twins_numbers_weigh_against_a_match_even_when_one_carries_a_typo(linked):
    from liuguan.core.identity import mod11_2_check
    from liuguan.linkage.comparisons import _sibling

    body = "51010419900307123"
    person = {"doc_std": body + mod11_2_check(body), "doc_valid": True}
    twin_typo = {"doc_std": "51010419900307145" + "0", "doc_valid": False}  # sibling's number, a typo in it
    assert _sibling(person, twin_typo) and _sibling(twin_typo, person)
    assert not _sibling(person, {"doc_std": "51010419900308123X", "doc_valid": False})  # birth digits differ
    assert not _sibling(person, {"doc_std": "5101041990030712", "doc_valid": False})  # not 18 characters
    _, _, model, _ = linked
    sibling = next(r for r in engine.explain(model, {"doc": 2}) if r["comparison"] == "doc")
    assert sibling["level"].startswith("document numbers of the same area and birth date")
    assert sibling["match_weight"] < -30


def test_same_name_and_hukou_are_compared_without_a_document_or_birth_date(linked):
    """A blocking rule on the fuzzy pinyin and the hukou county: no ID and no birth date on one side."""
    import pyarrow as pa

    _, _, model, _ = linked
    rows = [
        {
            "record_id": "a",
            "name": "蒋奕",
            "hukou": "341825",
            "birth_date": "2005-05-30",
            "doc_number": "",
            "sex": "男",
        },
        {
            "record_id": "b",
            "name": "蔣奕",
            "hukou": "安徽省宣城市旌德县",
            "birth_date": "",
            "doc_number": "",
            "sex": "男",
        },
        {"record_id": "c", "name": "王芳", "hukou": "510104", "birth_date": "1980-01-01", "doc_number": ""},
    ]
    table = pa.table({k: pa.array([r.get(k, "") for r in rows], pa.string()) for k in rows[0]})
    pairs = engine.predict(standardise(table), model, threshold=0.01)
    found = {
        tuple(sorted(p))
        for p in zip(pairs.column("record_id_l").to_pylist(), pairs.column("record_id_r").to_pylist(), strict=True)
    }
    assert found == {("a", "b")}


def test_the_model_is_rewritten_for_spark():
    import sqlglot

    spark = engine.for_dialect(engine.chinese_settings(), "spark")
    conditions = [
        level["sql_condition"]
        for comparison in spark["comparisons"]
        for level in comparison["comparison_levels"]
        if level["sql_condition"] != "ELSE"
    ]
    rules = [rule["blocking_rule"] for rule in spark["blocking_rules_to_generate_predictions"]]
    assert spark["sql_dialect"] == "spark" and len(conditions) > 20
    for sql in conditions + rules:
        assert '"' not in sql and "//" not in sql and "hamming" not in sql.lower(), sql
        sqlglot.parse_one(sql, read="spark")
    assert any("`doc_std_l`" in sql for sql in conditions)


def test_u_is_estimated_again_on_other_records_and_m_is_kept(linked):
    import pyarrow as pa

    _, std, model, _ = linked
    # Records where everybody has the same hukou county: two random people agree on it, so its u is near 1.
    same_place = std.set_column(
        std.column_names.index("hukou_code"), "hukou_code", pa.array(["510104"] * std.num_rows, pa.string())
    )
    again = engine.reestimate_u(model, same_place, max_pairs=2e4)

    def level_of(m, name, label):
        return next(lv for lv in engine._levels(m, name) if lv.get("label_for_charts") == label)

    before, after = (level_of(m, "hukou", "same hukou area") for m in (model, again))
    assert before["u_probability"] < 0.05 < 0.9 < after["u_probability"]
    assert after["m_probability"] == before["m_probability"]


def test_a_model_stored_before_the_sibling_level_still_explains_pairs_its_own_way(linked):
    import copy

    from liuguan.core.identity import mod11_2_check

    _, _, model, _ = linked
    old = copy.deepcopy(model)
    doc = next(c for c in old["comparisons"] if c["output_column_name"] == "doc")
    doc["comparison_levels"] = [
        level for level in doc["comparison_levels"] if not level["label_for_charts"].startswith("document numbers of")
    ]
    a, b = "51010419900307123", "51010419900307145"
    left = _std(name="张伟", doc_number=a + mod11_2_check(a), birth_date="1990-03-07")
    right = _std(name="张伟", doc_number=b + mod11_2_check(b), birth_date="1990-03-07")
    reasons = {r["comparison"]: r["level"] for r in engine.score_pair(model, left, right)[1]}
    old_reasons = {r["comparison"]: r["level"] for r in engine.score_pair(old, left, right)[1]}
    assert reasons["doc"].startswith("document numbers of the same area and birth date")
    assert old_reasons["doc"] == "different valid document numbers"
    assert {k: v for k, v in reasons.items() if k != "doc"} == {k: v for k, v in old_reasons.items() if k != "doc"}
