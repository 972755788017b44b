"""The grid event categories shipped with Liuguan (data/categories.json): loaded by a migration and by
`manage.py load_grid_categories`, which updates the rows it ships and leaves categories added by hand alone.
"""

import json
from pathlib import Path

CATEGORIES_FILE = Path(__file__).resolve().parent / "data" / "categories.json"
TEXT = ("group", "description", "office_level", "department_code")
FIELDS = ("name", "group", "description", "office_level", "department_code", "accept_days", "dispose_days", "public")


def load_categories(model, path: Path = CATEGORIES_FILE) -> int:
    """Create or update each shipped category (keyed by code); returns how many rows it wrote."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    for position, row in enumerate(rows):
        defaults = {
            field: row.get(field, "" if field in ("group", "description", "office_level", "department_code") else None)
            for field in FIELDS
        }
        defaults = {k: v for k, v in defaults.items() if v is not None}
        model.objects.update_or_create(code=row["code"], defaults={**defaults, "position": position})
    return len(rows)
