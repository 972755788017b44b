import pyarrow as pa
import pytest

from liuguan.linkage.standardise import INPUT_COLUMNS, OUTPUT_COLUMNS, standardise, standardise_one


def _rows(*records):
    full = [
        {name: record.get(name) for name in INPUT_COLUMNS} | {"record_id": str(i)} for i, record in enumerate(records)
    ]
    return standardise(pa.Table.from_pylist(full, schema=pa.schema([(n, pa.string()) for n in INPUT_COLUMNS])))


def one(**record):
    return _rows(record).to_pylist()[0]


def test_full_width_lower_x_spaces_and_dashes_give_the_same_number():
    # given the same citizen ID written four ways
    numbers = [
        "11010519491231002X",
        "１１０１０５１９４９１２３１００２ｘ",
        "110105 19491231-002x",
        "110105-19491231-002X",
    ]
    # when standardised
    result = _rows(*({"name": "张三", "doc_number": n} for n in numbers)).column("doc_std").to_pylist()
    # then all read alike and the check digit holds
    assert result == ["11010519491231002X"] * 4
    assert one(name="张三", doc_number="11010519491231002x")["doc_valid"] is True


def test_fifteen_digit_number_is_upgraded_to_eighteen_with_its_check_digit():
    row = one(name="张三", doc_number="110105491231002")
    assert row["doc_std"] == "11010519491231002X"
    assert row["doc_valid"] is True
    assert (row["doc_birth"], row["doc_sex"], row["doc_area"]) == ("1949-12-31", "F", "110105")


def test_bad_check_digit_is_invalid_and_stated_birth_or_sex_conflicts_are_flagged():
    assert one(name="张三", doc_number="110105194912310021")["doc_valid"] is False
    assert one(name="张三", doc_number="11010519491231002X", birth_date="1949-12-31", sex="女")["doc_conflict"] is False
    assert one(name="张三", doc_number="11010519491231002X", birth_date="1950-12-31")["doc_conflict"] is True
    assert one(name="张三", doc_number="11010519491231002X", sex="男")["doc_conflict"] is True


def test_traditional_names_become_simplified_and_read_the_same():
    simplified, traditional = one(name="张伟丽"), one(name="張偉麗")
    assert traditional["name_std"] == "张伟丽"
    assert traditional["name_py"] == simplified["name_py"] == "zhang wei li"


@pytest.mark.parametrize(
    ("name", "pinyin"),
    [
        ("曾小明", "zeng xiao ming"),
        ("单雄信", "shan xiong xin"),
        ("仇英", "qiu ying"),
        ("解缙", "xie jin"),
        ("区家明", "ou jia ming"),
        ("查良镛", "zha liang yong"),
        ("朴树", "piao shu"),
        ("盖聂", "ge nie"),
        ("尉迟敬德", "yu chi jing de"),
        ("欧阳修", "ou yang xiu"),
    ],
)
def test_surnames_read_as_surnames(name, pinyin):
    assert one(name=name)["name_py"] == pinyin


def test_compound_surname_is_split_from_the_given_name():
    row = one(name="欧阳修")
    assert (row["surname"], row["given"]) == ("欧阳", "修")


def test_pinyin_only_names_are_kept_as_pinyin_and_match_the_characters():
    assert one(name="ZHANG Xiaoming")["name_py"] == "zhang xiao ming"
    assert one(name="zhangxiaoming")["name_py"] == one(name="张晓明")["name_py"]
    # fuzzy pinyin folds zh/z, -ng/-n: a clerk's "Zang Xiaomin" meets 张晓明
    assert one(name="Zang Xiaomin")["name_py_fuzzy"] == one(name="张晓明")["name_py_fuzzy"] == "zanxiaomin"


def test_foreign_name_tokens_are_upper_cased_and_sorted():
    a = one(name="John Michael Smith", nationality="USA", doc_type="passport", doc_number="e1234567")
    b = one(name="SMITH, John  Michael", nationality="美国")
    assert a["name_std"] == b["name_std"] == "JOHN MICHAEL SMITH"
    assert (a["nationality"], b["nationality"]) == ("USA", "USA")
    assert a["passport"] == "E1234567"


def test_transliterated_names_normalise_middle_dots_and_spaces():
    assert one(name="阿卜杜拉 • 买买提")["name_std"] == one(name="阿卜杜拉·买买提")["name_std"] == "阿卜杜拉·买买提"


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("+86 138 0013 8000", "13800138000"),
        ("0086-13800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("028-8555 1234", "02885551234"),
        ("unknown", None),
        ("12345", None),
    ],
)
def test_phones(phone, expected):
    assert one(name="张三", phone=phone)["phone_std"] == expected


def test_hukou_and_address_codes_from_codes_place_names_and_the_id():
    assert one(name="张三", hukou="510104")["hukou_code"] == "510104"
    assert one(name="张三", hukou="四川省成都市锦江区")["hukou_code"] == "510104"
    assert one(name="张三", hukou="成都市锦江区督院街")["hukou_code"] == "510104"
    assert one(name="张三", hukou="四川省")["hukou_code"] == "510000"
    # no hukou given: the area the citizen ID was issued in
    assert one(name="张三", doc_number="11010519491231002X")["hukou_code"] == "110105"
    assert one(name="张三", address="四川省成都市武侯区人民南路1号")["address_code"] == "510107"
    assert one(name="张三", address="北京市朝阳区建国路")["address_code"] == "110105"
    assert one(name="张三", address="某地某路")["address_code"] is None


def test_birth_dates_and_sex_in_several_writings():
    assert one(name="张三", birth_date="19900307")["birth"] == "1990-03-07"
    assert one(name="张三", birth_date="1990/03/07")["birth"] == "1990-03-07"
    assert one(name="张三", birth_date="1990年3月7日")["birth"] == "1990-03-07"
    assert one(name="张三", birth_date="not a date")["birth"] is None
    assert [one(name="张三", sex=s)["sex"] for s in ("男", "female", "M", "")] == ["M", "F", "M", None]


def test_standardise_one_gives_exactly_the_table_row():
    records = [
        {
            "name": "曾 小明",
            "doc_number": "110105900307765",
            "sex": "M",
            "phone": "0086 13800138000",
            "hukou": "510104",
        },
        {"name": "John Smith", "nationality": "USA", "doc_type": "passport", "doc_number": "e1234567"},
        {"name": "張偉", "birth_date": "1990/01/02", "address": "成都市武侯区人民南路1号"},
    ]
    table = _rows(*records).to_pylist()
    for i, record in enumerate(records):
        assert standardise_one(record | {"record_id": str(i)}) == table[i]
    assert list(table[0]) == list(OUTPUT_COLUMNS)


def test_missing_required_column_is_named():
    with pytest.raises(ValueError, match="name"):
        standardise(pa.table({"record_id": ["1"]}))


def test_every_field_stays_on_its_own_row_whatever_the_order_and_chunks_of_the_input():
    from liuguan.linkage.linkage_testfile import generate

    raw = generate(800, seed=11).drop_columns(["person_id"])
    chunked = pa.Table.from_batches(raw.to_batches(max_chunksize=300))  # several chunks, as a CSV reader gives
    forward = standardise(chunked)
    backward = standardise(raw.take(pa.array(range(raw.num_rows - 1, -1, -1))))
    assert forward.column("record_id").to_pylist() == raw.column("record_id").to_pylist()
    assert forward.to_pylist() == backward.to_pylist()[::-1]
    assert forward.column("name_py").null_count < 50 and forward.column("hukou_code").null_count < 300
