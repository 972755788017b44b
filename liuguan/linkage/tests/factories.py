"""People and a linkage model for the registry-side linkage tests (a fixed model: no minutes of training)."""

import datetime as dt

from django.utils import timezone

from liuguan.conftest import IN_COMMUNITY
from liuguan.registry.models import Person, Stay

# m and u per level, as the engine estimated them on 50,000 generated records (rounded): a trained model without
# the minutes of training, built on the engine's current comparisons so their SQL stays in step.
LEVELS = {
    "document number exact": (0.891, 2.66e-05),
    "document numbers differ in one character, both valid": (0.0001, 1e-07),
    "document number one typo or transposition": (0.106, 5.74e-06),
    "document number different": (0.00315, 1.0),
    "name exact characters": (0.834, 4.37e-05),
    "same pinyin, different characters": (0.124, 2.3e-05),
    "close pinyin (z-zh, c-ch, s-sh, n-l, -n/-ng)": (0.0137, 6.65e-06),
    "same surname, one given-name character different": (0.0267, 0.00195),
    "pinyin one letter different": (0.0001, 6.26e-05),
    "name different": (0.00143, 0.998),
    "birth date exact": (0.946, 7.51e-05),
    "birth date month and day swapped": (0.0163, 2.41e-05),
    "birth date one typo": (0.0374, 0.0014),
    "birth date different": (0.000412, 0.998),
    "same sex": (1.0, 0.498),
    "different sex": (0.0001, 0.502),
    "same phone": (0.64, 2.26e-05),
    "different phone": (0.36, 1.0),
    "same hukou area": (0.997, 0.000374),
    "hukou in the same prefecture": (0.00174, 0.00331),
    "hukou in the same province": (0.00239, 0.0351),
    "hukou in another province": (0.0022, 0.961),
    "address in the same county": (0.363, 0.00544),
    "address in the same prefecture": (0.0368, 0.0557),
    "address in the same province": (0.6, 0.939),
    "address in another province": (0.0001, 1e-07),
    "same nationality and passport number": (0.008, 4.03e-07),
    "same nationality": (0.992, 0.979),
    "different nationality": (0.0001, 0.0208),
}


def small_model() -> dict:
    """The engine's Chinese settings with the m and u above (a level not listed gets neutral values)."""
    from liuguan.linkage.engine import chinese_settings

    model = chinese_settings()
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                level["m_probability"], level["u_probability"] = LEVELS.get(level.get("label_for_charts"), (0.1, 0.1))
    model["probability_two_random_records_match"] = 3e-5
    return model


def activate_model():
    from liuguan.linkage.models import ModelVersion

    return ModelVersion.objects.create(version=1, trained_on="test", records=3000, settings=small_model(), active=True)


def person(
    number,
    name,
    *,
    pinyin,
    birth=dt.date(1990, 3, 7),
    sex="M",
    phone="13912345678",
    channel="collector",
    community=IN_COMMUNITY,
    departed=None,
    created=None,
):
    someone = Person.objects.create(
        doc_type="citizen_id",
        doc_number=number,
        name=name,
        name_pinyin=pinyin,
        name_initials="".join(part[0] for part in pinyin.split()) if " " in pinyin else pinyin[:2],
        sex=sex,
        birth_date=birth,
        hukou_code=number[:6],
        phone=phone,
        created_at=created or timezone.now(),
    )
    Stay.objects.create(
        person=someone,
        community_id=community,
        reason="work",
        arrived_on=dt.date(2024, 5, 1),
        departed_on=departed,
        source_channel=channel,
        address="东御河沿街 8 号",
    )
    return someone
