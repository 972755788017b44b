"""Test-run support: a faster flush after transactional tests.

Django's TransactionTestCase flushes every table after each test (TRUNCATE of all ~130 tables on PostgreSQL, which
makes new files for each table and index, then post_migrate recreates the content types and permissions). On two
busy cores that took 1.5-10 s per test. This flush empties only the tables that hold rows and keeps the content types
and permissions that post_migrate would have made again (under new keys), so the database after it is what Django's
flush leaves, less the churn. Installed by liuguan/conftest.py for the test run only.
"""

from django.db import connections, transaction
from django.test import TransactionTestCase

# What post_migrate fills (and the migration history): kept, as Django's flush would have recreated them.
KEPT = {"django_content_type", "auth_permission", "django_migrations"}
_tables: dict[str, list[str]] = {}


def _candidate_tables(connection) -> list[str]:
    if connection.alias not in _tables:
        names = connection.introspection.django_table_names(only_existing=True, include_views=False)
        _tables[connection.alias] = sorted(name for name in names if name not in KEPT)
    return _tables[connection.alias]


def flush_rows(alias: str) -> list[str]:
    """Delete every row of every project table that has any (one query finds them); return their names."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    tables = _candidate_tables(connection)
    probe = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {quote(name)})" for name in tables)  # noqa: S608 (model tables)
    with connection.cursor() as cursor:
        cursor.execute(probe)
        filled = [row[0] for row in cursor.fetchall()]
    if not filled:
        return filled
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Every table that holds rows is emptied in this transaction, so no reference survives it: the
            # foreign keys' checks (deferred by Django) are skipped where the role may (superuser, as in CI).
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            superuser = cursor.fetchone()[0]
            cursor.execute(
                "SET LOCAL session_replication_role = replica" if superuser else "SET CONSTRAINTS ALL DEFERRED"
            )
        for name in filled:
            cursor.execute(f"DELETE FROM {quote(name)}")  # noqa: S608 (table names from the model registry)
    return filled


def _fixture_teardown(self):
    for alias in self._databases_names(include_mirrors=False):
        flush_rows(alias)


def install() -> None:
    TransactionTestCase._fixture_teardown = _fixture_teardown


# -- a migrated, empty database for a second instance -------------------------------------------------------------
# A test that starts a second instance (its own manage.py and server) needs a database of its own, migrated. Running
# `migrate` there took 10-25 s (several times that on a busy machine); a copy of the test database made right after
# pytest-django migrated it takes about a second. The copy is made once per run, only when such a test is collected.


def _pg_admin(settings_dict: dict, sql: str) -> None:
    import psycopg

    with psycopg.connect(
        dbname="postgres",
        host=settings_dict.get("HOST") or "127.0.0.1",
        port=settings_dict.get("PORT") or 5432,
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        autocommit=True,
    ) as conn:
        conn.execute(sql)


def database_url(settings_dict: dict, name: str) -> str:
    """The URL of a database `name` on the same server (PostgreSQL) or of the SQLite file `name`."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{name}"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    return f"postgres://{settings_dict['USER']}{password}@{host}:{settings_dict.get('PORT') or 5432}/{name}"


def template_create(alias: str = "default") -> str:
    """Copy the freshly migrated test database to a template; return its name (a file path on SQLite)."""
    connection = connections[alias]
    source = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        import sqlite3

        target = f"{source}.template"
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return target
    target = f"{source}_template"
    connections.close_all()  # CREATE DATABASE ... TEMPLATE needs the source to have no other session
    database_drop(target, alias)
    _pg_admin(connection.settings_dict, f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    return target


def database_drop(name: str, alias: str = "default") -> None:
    """Drop a template or a database made from it (a file on SQLite)."""
    connection = connections[alias]
    if connection.vendor == "sqlite":
        import os

        if os.path.exists(name):
            os.remove(name)
        return
    _pg_admin(connection.settings_dict, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_from_template(template: str, name: str, alias: str = "default") -> str:
    """A new database `name` (a file path on SQLite) copied from the template; return its URL."""
    connection = connections[alias]
    if connection.vendor == "sqlite":
        import shutil

        shutil.copyfile(template, name)
        return database_url(connection.settings_dict, name)
    database_drop(name, alias)
    _pg_admin(connection.settings_dict, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return database_url(connection.settings_dict, name)
