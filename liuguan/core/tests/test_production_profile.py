"""The production profile refuses a demo's settings and passes Django's own deployment checks with real ones."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
GOOD = {
    "LIUGUAN_PROFILE": "production",
    "LIUGUAN_SECRET_KEY": "x" * 64 + "-Production-Key-Not-For-Demo-0123456789",
    "LIUGUAN_ALLOWED_HOSTS": "liuguan.example.gov.cn",
    "DATABASE_URL": "postgres://liuguan@127.0.0.1:5432/liuguan_never_connected",
    "LIUGUAN_DEBUG": "0",
    "LIUGUAN_DATA_KEYS": "1:" + "A" * 43 + "=",
    "LIUGUAN_INDEX_KEYS": "1:" + "B" * 43 + "=",
}


def _manage(args, env_changes, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIUGUAN_") and k != "DATABASE_URL"}
    env.update({"LIUGUAN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "liuguan.settings"})
    env.update({k: v for k, v in env_changes.items() if v is not None})
    return subprocess.run(  # noqa: S603 (this project's own manage.py)
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_the_deployment_checks(tmp_path):
    result = _manage(["check", "--deploy", "--fail-level", "WARNING"], GOOD, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_profile_refuses_demo_settings(tmp_path):
    cases = {
        "LIUGUAN_DEBUG must be 0": {"LIUGUAN_DEBUG": "1"},
        "LIUGUAN_SECRET_KEY must be set": {"LIUGUAN_SECRET_KEY": ""},
        "DATABASE_URL must name PostgreSQL": {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"},
        "LIUGUAN_ALLOWED_HOSTS must name the public host": {"LIUGUAN_ALLOWED_HOSTS": ""},
        "LIUGUAN_DATA_KEYS and LIUGUAN_INDEX_KEYS must be set": {"LIUGUAN_DATA_KEYS": ""},
    }
    for message, change in cases.items():
        result = _manage(["check"], {**GOOD, **change}, tmp_path)
        assert result.returncode != 0, message
        assert message in result.stderr, (message, result.stderr[-500:])
