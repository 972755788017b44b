"""A seeded test file of person records with known duplicates, for measuring linkage accuracy and speed.

People are drawn on real division codes (hukou in any county of China, address in Sichuan) with valid citizen
ID numbers; each person then appears in 1 to 5 records (55 %, 20 %, 12 %, 8 %, 5 %: about 1.88 records per
person), and every record independently suffers the errors below. `person_id` is the truth.

Error model, per record (rates are the probability for each record, independently):
- document number: missing 18 %; one digit mistyped 3 %; two neighbouring digits swapped 3 %; the 15-digit
  form (born before 2000) 2 %; full-width characters 2 %; spaces or dashes inside 2 %; a final X lower-cased.
- name: traditional characters 5 %; a given-name character replaced by a homophone 5 %; written only in
  pinyin 3 % (a third of those also with z/zh, c/ch, s/sh, n/l or -n/-ng confused); one given-name character
  replaced by another 1.5 %. Foreigners (1 % of people) have Latin names whose token order differs in 30 %
  of their records, and a passport number.
- birth date: missing 5 %; month and day swapped 2 % (when the day is 12 or less); one digit mistyped 2 %;
  written 19900307 or 1990/03/07 5 %.
- sex: missing 10 %.
- phone: missing 20 %; another number (changed phone) 20 %; written +86 138 ... 10 %; 8 % of people give a
  phone shared with many others (a landlord's, a factory's).
- hukou: as a code 40 %, as a place name 40 %, missing 20 %. Address: another county (moved) 40 %, missing 10 %.
Hard negatives: 1 % of people have a twin (same surname, birth date, hukou, address and phone; given name one
character different; the next sequence number, so the ID differs in two or three characters).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

RECORDS_PER_PERSON = (1, 2, 3, 4, 5)
RECORDS_SHARE = (0.55, 0.20, 0.12, 0.08, 0.05)
SOURCES = (
    "registry.person",
    "compliance.dutyreport",
    "hotel.checkin",
    "welfare.socialinsurance",
    "school.pupil",
    "exchange.record",
)
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
CHECK = np.array(list("10X98765432"))


def _check_digits(bodies: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 11-2 check characters of 17-digit bodies, vectorised."""
    digits = bodies.view("U1").reshape(len(bodies), 17).astype(np.int64)
    return CHECK[(digits * WEIGHTS).sum(axis=1) % 11]


def _counties() -> tuple[list[str], list[str]]:
    from liuguan.geo.names import national_names

    names = national_names()
    counties = [c for c in names if len(c) == 6 and not c.endswith("00")]
    sichuan = [c for c in counties if c.startswith("51")]
    return counties, sichuan


def generate(records: int, *, seed: int = 20261127) -> pa.Table:
    """About `records` rows in INPUT_COLUMNS plus person_id (the truth); same seed, same file."""
    from liuguan.demo.reference import FOREIGNERS, GIVEN_CHARS, HOMOPHONES, ROADS, SURNAMES, TRADITIONAL

    from .standardise import _fold, _name_fields

    rng = np.random.default_rng(seed)
    counties, sichuan = _counties()
    county_names = _county_names(counties)
    mean = float(np.dot(RECORDS_PER_PERSON, RECORDS_SHARE))
    people = int(records / mean) + 1

    # People.
    surnames = np.array([s for s, _ in SURNAMES])
    weights = np.array([w for _, w in SURNAMES], dtype=float)
    surname = surnames[rng.choice(len(surnames), people, p=weights / weights.sum())]
    sex = np.where(rng.random(people) < 0.5, "M", "F")
    pool = sorted(set("".join(GIVEN_CHARS.values())))
    pool_arr = np.array(pool)
    g1 = pool_arr[rng.integers(0, len(pool), people)]
    g2 = pool_arr[rng.integers(0, len(pool), people)]
    single = rng.random(people) < 0.25
    given = np.where(single, g1, np.char.add(g1, g2))
    days = rng.integers(0, (2008 - 1950) * 365, people)
    birth = (np.datetime64("1950-01-01") + days.astype("timedelta64[D]")).astype(str)
    hukou = np.array(counties)[rng.integers(0, len(counties), people)]
    seq = rng.integers(0, 500, people) * 2 + np.where(sex == "M", 1, 0)
    twin = rng.random(people) < 0.01
    # Twins: the person after a twin copies the family fields and takes the next sequence number.
    twin_of = np.flatnonzero(twin[:-1])
    idx = twin_of + 1
    surname[idx], birth[idx], hukou[idx] = surname[twin_of], birth[twin_of], hukou[twin_of]
    seq[idx] = (seq[twin_of] + 2) % 1000
    given[idx] = [
        g[:-1] + (c if c != g[-1] else pool[(pool.index(c) + 1) % len(pool)])
        for g, c in zip(given[twin_of], g2[idx], strict=True)
    ]
    compact = np.char.replace(birth, "-", "")
    bodies = np.char.add(np.char.add(hukou, compact), np.char.zfill(seq.astype(str), 3))
    doc = np.char.add(bodies, _check_digits(bodies))
    phone = np.char.add(
        np.array(["138", "139", "150", "151", "186", "187", "177", "133"])[rng.integers(0, 8, people)],
        np.char.zfill(rng.integers(0, 10**8, people).astype(str), 8),
    )
    shared = np.char.add("1390000", np.char.zfill(rng.integers(0, 2000, people).astype(str), 4))
    phone = np.where(rng.random(people) < 0.08, shared, phone)
    phone[idx] = phone[twin_of]
    home = np.array(sichuan)[rng.integers(0, len(sichuan), people)]
    home[idx] = home[twin_of]
    foreign = rng.random(people) < 0.01
    name = np.char.add(surname, given).astype(object)
    nationality = np.full(people, "", dtype=object)
    passport = np.full(people, "", dtype=object)
    for i in np.flatnonzero(foreign):
        country = FOREIGNERS[rng.integers(0, len(FOREIGNERS))]
        first = country[5][rng.integers(0, len(country[5]))]
        last = country[4][rng.integers(0, len(country[4]))]
        middle = "ABCDEFGHJKLMNPRST"[rng.integers(0, 17)] + "ANE"
        name[i] = f"{first} {middle} {last}"
        nationality[i] = country[0]
        passport[i] = f"{country[3]}{rng.integers(10**6, 10**7)}"

    # Records.
    counts = rng.choice(RECORDS_PER_PERSON, people, p=RECORDS_SHARE)
    person = np.repeat(np.arange(people), counts)[:records]
    n = len(person)
    r = rng.random((n, 24))

    rec_doc = doc[person].astype(object)
    is_foreign = foreign[person]
    rec_doc[is_foreign] = passport[person][is_foreign]
    doc_type = np.where(is_foreign, "passport", np.where(r[:, 0] < 0.5, "citizen_id", "")).astype(object)
    out_doc = rec_doc.copy()
    typo = (r[:, 1] < 0.03) & ~is_foreign
    for i in np.flatnonzero(typo):
        d = out_doc[i]
        k = int(rng.integers(0, 17))
        out_doc[i] = d[:k] + str((int(d[k]) + int(rng.integers(1, 10))) % 10) + d[k + 1 :]
    swap = (r[:, 1] >= 0.03) & (r[:, 1] < 0.06) & ~is_foreign
    for i in np.flatnonzero(swap):
        d = out_doc[i]
        k = int(rng.integers(0, 16))
        if d[k] != d[k + 1]:
            out_doc[i] = d[:k] + d[k + 1] + d[k] + d[k + 2 :]
    old = (r[:, 1] >= 0.06) & (r[:, 1] < 0.08) & ~is_foreign
    for i in np.flatnonzero(old):
        d = out_doc[i]
        if d[6:8] == "19":
            out_doc[i] = d[:6] + d[8:17]
    wide = (r[:, 1] >= 0.08) & (r[:, 1] < 0.10)
    out_doc[wide] = [d.translate(FULL_WIDTH) for d in out_doc[wide]]
    spaced = (r[:, 1] >= 0.10) & (r[:, 1] < 0.12) & ~is_foreign
    out_doc[spaced] = [f"{d[:6]} {d[6:14]}-{d[14:]}" for d in out_doc[spaced]]
    out_doc = np.array(
        [d.replace("X", "x") if d.endswith("X") and k < 0.5 else d for d, k in zip(out_doc, r[:, 2], strict=True)],
        dtype=object,
    )
    out_doc[r[:, 3] < 0.18] = ""

    rec_name = name[person].copy()
    han = ~is_foreign
    trad = han & (r[:, 4] < 0.05)
    rec_name[trad] = [s.translate(TRADITIONAL) for s in rec_name[trad]]
    homo = han & (r[:, 4] >= 0.05) & (r[:, 4] < 0.10)
    for i in np.flatnonzero(homo):
        s = rec_name[i]
        for k in range(len(s) - 1, 0, -1):
            if s[k] in HOMOPHONES:
                options = HOMOPHONES[s[k]]
                rec_name[i] = s[:k] + options[int(rng.integers(0, len(options)))] + s[k + 1 :]
                break
    other = han & (r[:, 4] >= 0.10) & (r[:, 4] < 0.115)
    for i in np.flatnonzero(other):
        s = rec_name[i]
        rec_name[i] = s[:-1] + pool[int(rng.integers(0, len(pool)))]
    latin = han & (r[:, 4] >= 0.115) & (r[:, 4] < 0.145)
    for i in np.flatnonzero(latin):
        syllables = _name_fields(rec_name[i], False)[3].split()
        if r[i, 5] < 0.33:
            syllables = [_fold(s) for s in syllables]
        rec_name[i] = syllables[0].upper() + " " + "".join(syllables[1:]).capitalize()
    order = is_foreign & (r[:, 4] < 0.30)
    rec_name[order] = [" ".join(reversed(s.split())) for s in rec_name[order]]

    rec_birth = birth[person].astype(object)
    md = (r[:, 6] < 0.02) & np.array([int(b[8:]) <= 12 for b in rec_birth])
    rec_birth[md] = [f"{b[:5]}{b[8:]}-{b[5:7]}" for b in rec_birth[md]]
    btypo = (r[:, 6] >= 0.02) & (r[:, 6] < 0.04)
    for i in np.flatnonzero(btypo):
        b = rec_birth[i]
        k = int(rng.choice([2, 3, 6, 9]))
        rec_birth[i] = b[:k] + str((int(b[k]) + 1) % 10) + b[k + 1 :]
    fmt = (r[:, 6] >= 0.04) & (r[:, 6] < 0.09)
    rec_birth[fmt] = [
        b.replace("-", "") if k < 0.5 else b.replace("-", "/") for b, k in zip(rec_birth[fmt], r[fmt, 7], strict=True)
    ]
    rec_birth[r[:, 8] < 0.05] = ""

    rec_sex = np.where(
        r[:, 9] < 0.10, "", np.where(r[:, 10] < 0.5, sex[person], np.where(sex[person] == "M", "男", "女"))
    )

    rec_phone = phone[person].astype(object)
    changed = r[:, 11] < 0.20
    rec_phone[changed] = [f"137{int(x):08d}" for x in rng.integers(0, 10**8, int(changed.sum()))]
    plus = r[:, 12] < 0.10
    rec_phone[plus] = [f"+86 {p[:3]} {p[3:7]} {p[7:]}" for p in rec_phone[plus]]
    rec_phone[r[:, 13] < 0.20] = ""

    rec_hukou_code = hukou[person]
    rec_hukou = np.where(
        r[:, 14] < 0.40,
        rec_hukou_code,
        np.where(r[:, 14] < 0.80, np.array([county_names[c] for c in rec_hukou_code], dtype=object), ""),
    )
    rec_hukou[is_foreign] = ""
    county = home[person].copy()
    moved = r[:, 15] < 0.40
    county[moved] = np.array(sichuan)[rng.integers(0, len(sichuan), int(moved.sum()))]
    roads = np.array(ROADS)[rng.integers(0, len(ROADS), n)]
    numbers = rng.integers(1, 300, n).astype(str)
    address = np.char.add(np.char.add(np.array([county_names[c] for c in county]), roads), np.char.add(numbers, "号"))
    address = np.where(r[:, 16] < 0.10, "", address)

    return pa.table(
        {
            "record_id": pa.array(np.char.add("R", np.char.zfill(np.arange(1, n + 1).astype(str), 8))),
            "source": pa.array(np.array(SOURCES)[rng.integers(0, len(SOURCES), n)]),
            "doc_type": pa.array(list(doc_type), pa.string()),
            "doc_number": pa.array(list(out_doc), pa.string()),
            "name": pa.array(list(rec_name), pa.string()),
            "sex": pa.array(rec_sex),
            "birth_date": pa.array(list(rec_birth), pa.string()),
            "phone": pa.array(list(rec_phone), pa.string()),
            "hukou": pa.array(list(rec_hukou), pa.string()),
            "address": pa.array(address),
            "nationality": pa.array(list(nationality[person]), pa.string()),
            "person_id": pa.array(np.char.add("P", person.astype(str))),
        }
    )


def _county_names(counties: list[str]) -> dict[str, str]:
    from liuguan.geo.names import PLACEHOLDER_PREFECTURES, national_names

    names = national_names()
    full = {}
    for code in counties:
        parts = [names.get(code[:2], ""), names.get(code[:4], ""), names.get(code, "")]
        full[code] = "".join(p for p in parts if p and p not in PLACEHOLDER_PREFECTURES)
    return full
