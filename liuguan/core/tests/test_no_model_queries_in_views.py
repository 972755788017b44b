"""Views, API operations and exports reach data only through selectors and services (Zulip's semgrep rule
`limit-message-filter`, as a test): a `Model.objects` in one of them is a query that skipped the scoping.
"""

import ast
from pathlib import Path

import liuguan

ROOT = Path(liuguan.__file__).parent
PATTERNS = ("views*.py", "api*.py", "export*.py", "views/*.py")
MANAGERS = {"objects", "_default_manager", "_base_manager"}


def _entry_points() -> list[Path]:
    found = set()
    for app in ROOT.iterdir():
        if app.is_dir() and (app / "__init__.py").exists():
            for pattern in PATTERNS:
                found.update(p for p in app.glob(pattern) if "tests" not in p.parts)
    found.update(ROOT.glob("api.py"))
    return sorted(found)


def _manager_uses(path: Path) -> list[int]:
    """The lines where the file names a model manager."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr in MANAGERS]


def test_the_scan_sees_the_entry_points():
    names = {p.name for p in _entry_points()}
    # If these are not found, the patterns no longer match the layout and the test below proves nothing.
    assert {"views.py", "api.py", "views_federation.py", "views_open311.py"} <= names


def test_no_model_manager_in_views_api_or_exports():
    uses = [f"{path.relative_to(ROOT.parent)}:{line}" for path in _entry_points() for line in _manager_uses(path)]
    assert uses == [], "query through a selector or service instead: " + ", ".join(uses)


def test_the_scan_would_catch_one(tmp_path):
    sample = tmp_path / "views.py"
    sample.write_text("from x import Person\n\ndef page(request):\n    return Person.objects.all()\n")
    assert _manager_uses(sample) == [4]
