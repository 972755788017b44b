"""Code lists used by the registry, after the national standards the offices already use."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DocType(models.TextChoices):
    CITIZEN_ID = "citizen_id", _("Citizen ID")
    HMT_RESIDENT = "hmt_resident", _("Hong Kong/Macao/Taiwan resident permit")
    FOREIGN_PR = "foreign_pr", _("Foreigner's permanent residence ID")
    PASSPORT = "passport", _("Passport")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


# GB/T 2261.2 marital status.
class Marital(models.TextChoices):
    SINGLE = "10", _("Single")
    MARRIED = "20", _("Married")
    WIDOWED = "30", _("Widowed")
    DIVORCED = "40", _("Divorced")
    UNKNOWN = "90", _("Not stated")


# GB/T 4658 education, grouped as offices record it.
class Education(models.TextChoices):
    NONE = "90", _("No schooling")
    PRIMARY = "80", _("Primary school")
    JUNIOR = "70", _("Junior secondary")
    SENIOR = "60", _("Senior secondary")
    VOCATIONAL = "40", _("Vocational secondary")
    COLLEGE = "30", _("Junior college")
    BACHELOR = "20", _("Bachelor")
    POSTGRADUATE = "10", _("Postgraduate")


# GB 3304 codes of China's 56 ethnic groups (01 Han ... 56 Jino), plus 97 other / 98 naturalised.
ETHNICITIES = [
    ("01", "汉族"),
    ("02", "蒙古族"),
    ("03", "回族"),
    ("04", "藏族"),
    ("05", "维吾尔族"),
    ("06", "苗族"),
    ("07", "彝族"),
    ("08", "壮族"),
    ("09", "布依族"),
    ("10", "朝鲜族"),
    ("11", "满族"),
    ("12", "侗族"),
    ("13", "瑶族"),
    ("14", "白族"),
    ("15", "土家族"),
    ("16", "哈尼族"),
    ("17", "哈萨克族"),
    ("18", "傣族"),
    ("19", "黎族"),
    ("20", "傈僳族"),
    ("21", "佤族"),
    ("22", "畲族"),
    ("23", "高山族"),
    ("24", "拉祜族"),
    ("25", "水族"),
    ("26", "东乡族"),
    ("27", "纳西族"),
    ("28", "景颇族"),
    ("29", "柯尔克孜族"),
    ("30", "土族"),
    ("31", "达斡尔族"),
    ("32", "仫佬族"),
    ("33", "羌族"),
    ("34", "布朗族"),
    ("35", "撒拉族"),
    ("36", "毛南族"),
    ("37", "仡佬族"),
    ("38", "锡伯族"),
    ("39", "阿昌族"),
    ("40", "普米族"),
    ("41", "塔吉克族"),
    ("42", "怒族"),
    ("43", "乌孜别克族"),
    ("44", "俄罗斯族"),
    ("45", "鄂温克族"),
    ("46", "德昂族"),
    ("47", "保安族"),
    ("48", "裕固族"),
    ("49", "京族"),
    ("50", "塔塔尔族"),
    ("51", "独龙族"),
    ("52", "鄂伦春族"),
    ("53", "赫哲族"),
    ("54", "门巴族"),
    ("55", "珞巴族"),
    ("56", "基诺族"),
    ("97", "其他"),
    ("98", "外国血统中国籍人士"),
]


class Reason(models.TextChoices):
    WORK = "work", _("Work")
    BUSINESS = "business", _("Business")
    STUDY = "study", _("Study")
    FAMILY = "family", _("Joining family")
    MARRIAGE = "marriage", _("Marriage")
    MEDICAL = "medical", _("Medical treatment")
    TRAVEL = "travel", _("Travel or short visit")
    OTHER = "other", _("Other")


class SourceChannel(models.TextChoices):
    COLLECTOR = "collector", pgettext_lazy("source channel", "Collector")
    SELF = "self", _("Self-declared")
    LANDLORD = "landlord", _("Landlord")
    EMPLOYER = "employer", _("Employer")
    HOTEL = "hotel", _("Hotel")
    IMPORT = "import", _("Batch import")
    DEPARTMENT = "department", _("Department")


class HouseKind(models.TextChoices):
    OWNED = "owned", _("Owned home")
    RENTAL = "rental", _("Rental")
    DORMITORY = "dormitory", _("Employer dormitory")
    SHOP = "shop", _("Shop with living space")
    WORKSITE = "worksite", _("Worksite shed")
    OTHER = "other", _("Other")


# GB/T 4754-2017 sections.
class Industry(models.TextChoices):
    A = "A", _("Agriculture, forestry and fishing")
    B = "B", _("Mining")
    C = "C", _("Manufacturing")
    D = "D", _("Electricity, heat, gas and water")
    E = "E", _("Construction")
    F = "F", _("Wholesale and retail")
    G = "G", _("Transport, storage and post")
    H = "H", _("Accommodation and catering")
    I = "I", _("Information technology")  # noqa: E741
    J = "J", _("Finance")
    K = "K", _("Real estate")
    L = "L", _("Leasing and business services")
    M = "M", _("Research and technical services")
    N = "N", _("Water, environment and public facilities")
    O = "O", _("Resident services and repairs")  # noqa: E741
    P = "P", pgettext_lazy("industry", "Education")
    Q = "Q", _("Health and social work")
    R = "R", _("Culture, sports and entertainment")
    S = "S", _("Public administration")
    T = "T", _("International organisations")
