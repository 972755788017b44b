"""Benchmark the cryptography: lookup by document number before (a plain indexed column) and after (the blind
index and decryption), and the throughput of each algorithm as a ratio to the default.

Everything is written inside one transaction that is rolled back at the end: N scratch people in the real
person table (encrypted, indexed as the application writes them) and the same N numbers in a scratch table
laid out as the person table was before encryption (plain `doc_number`, unique on (doc_type, doc_number)).

    python manage.py bench_crypto               # N = 100,000
    python manage.py bench_crypto --people 20000 --lookups 2000
"""

import datetime as dt
import random
import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from liuguan.core import crypto
from liuguan.registry.models import Person

PLAIN = "bench_crypto_plain_person"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _rate(fn, seconds: float = 0.5, least: int = 5) -> float:
    """Calls per second of fn, measured for about `seconds`."""
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and n >= least:
            return n / elapsed


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Lookup by document number before/after encryption (median, p95) and each algorithm's throughput."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=100_000)
        parser.add_argument("--lookups", type=int, default=5_000)
        parser.add_argument("--seed", type=int, default=13)

    def handle(self, *args, **options):
        n, lookups = options["people"], options["lookups"]
        rng = random.Random(options["seed"])
        out = self.stdout.write
        out(f"database: {connection.vendor}; people: {n:,}; lookups: {lookups:,}")
        try:
            with transaction.atomic():
                numbers = self._fill(n, out)
                wanted = [rng.choice(numbers) for _ in range(lookups)]
                self._lookups(wanted, out)
                raise _Rollback
        except _Rollback:
            pass
        self._algorithms(out)

    def _fill(self, n: int, out) -> list[str]:
        numbers = [f"99{i:015d}X" for i in range(n)]
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE {PLAIN} (id integer PRIMARY KEY, doc_type varchar(16) NOT NULL, "
                "doc_number varchar(32) NOT NULL, name varchar(60) NOT NULL, phone varchar(11) NOT NULL, "
                f"CONSTRAINT {PLAIN}_one UNIQUE (doc_type, doc_number))"
            )
            for at in range(0, n, 5000):
                cursor.executemany(
                    f"INSERT INTO {PLAIN} (id, doc_type, doc_number, name, phone) VALUES (%s, %s, %s, %s, %s)",  # noqa: S608
                    [
                        (i + 1, "citizen_id", numbers[i], f"测试{i}", f"139{i:08d}")
                        for i in range(at, min(at + 5000, n))
                    ],
                )
        plain_seconds = time.perf_counter() - start
        start = time.perf_counter()
        born = dt.date(1990, 1, 1)
        for at in range(0, n, 5000):
            Person.objects.bulk_create(
                Person(
                    doc_type="citizen_id",
                    doc_number=numbers[i],
                    phone=f"139{i:08d}",
                    name=f"测试{i}",
                    name_pinyin=f"ceshi{i}",
                    name_initials="cs",
                    sex="M",
                    birth_date=born,
                )
                for i in range(at, min(at + 5000, n))
            )
        sealed_seconds = time.perf_counter() - start
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {PLAIN}" if connection.vendor == "postgresql" else "ANALYZE")
            if connection.vendor == "postgresql":
                cursor.execute(f'ANALYZE "{Person._meta.db_table}"')
        out(
            f"write {n:,} people: plain {plain_seconds:.1f} s (raw INSERT), encrypted {sealed_seconds:.1f} s "
            "(bulk_create: encrypt two numbers, two blind indexes)"
        )
        return numbers

    def _lookups(self, wanted: list[str], out) -> None:
        table = Person._meta.db_table
        plain_sql = f"SELECT id, doc_number, name FROM {PLAIN} WHERE doc_type = %s AND doc_number = %s"  # noqa: S608
        results: dict[str, list[float]] = {"before": [], "after": [], "after (ORM)": []}
        with connection.cursor() as cursor:
            for number in wanted:
                t = time.perf_counter()
                cursor.execute(plain_sql, ["citizen_id", number])
                row = cursor.fetchone()
                results["before"].append(time.perf_counter() - t)
                assert row[1] == number

                t = time.perf_counter()
                tags = crypto.blind_index_candidates(number)
                marks = ", ".join(["%s"] * len(tags))
                cursor.execute(
                    f'SELECT id, doc_number, name FROM "{table}" '  # noqa: S608
                    f"WHERE doc_type = %s AND doc_number_index IN ({marks})",
                    ["citizen_id", *tags],
                )
                found = cursor.fetchone()
                plain = crypto.decrypt_text(found[1])
                results["after"].append(time.perf_counter() - t)
                assert plain == number

                t = time.perf_counter()
                got = Person.objects.filter(doc_type="citizen_id", doc_number=number).values_list(
                    "pk", "doc_number", "name"
                )[:1]
                got = list(got)
                results["after (ORM)"].append(time.perf_counter() - t)
                assert got[0][1] == number
        before = statistics.median(results["before"])
        out("lookup by document number (one row, fetched and, after, decrypted):")
        for label, times in results.items():
            median, p95 = statistics.median(times), _percentile(times, 0.95)
            out(
                f"  {label:<12} median {median * 1e3:.3f} ms  p95 {p95 * 1e3:.3f} ms  "
                f"ratio to before {median / before:.2f}x"
            )

    def _algorithms(self, out) -> None:
        out("throughput per algorithm (ratio to the default):")
        value = "51010419900307001X"
        for kind, names in (("encrypt", list(crypto.CIPHERS)), ("decrypt", list(crypto.CIPHERS))):
            rates = {}
            for name in names:
                sealed = crypto.encrypt_text(value, cipher=name)
                fn = (
                    (lambda c=name: crypto.encrypt_text(value, cipher=c))
                    if kind == "encrypt"
                    else (lambda s=sealed: crypto.decrypt_text(s))
                )
                rates[name] = _rate(fn)
            self._print(out, f"{kind} an ID number (field)", rates, "aes-256-gcm")
        block = bytes(range(256)) * 16  # 4 KiB
        rates = {name: _rate(lambda h=h: h.digest(block)) * len(block) / 2**20 for name, h in crypto.HASHES.items()}
        self._print(out, "hash 4 KiB", rates, "sha256", unit="MiB/s")
        rates = {name: _rate(lambda h=name: crypto.blind_index(value, hash_name=h)) for name in crypto.HASHES}
        self._print(out, "blind index (HMAC)", rates, "sha256")
        message = b"x" * 512
        for kind in ("sign", "verify"):
            rates = {}
            for name, scheme in crypto.SIGNATURES.items():
                private = scheme.generate()
                public, signature = scheme.public_key(private), scheme.sign(private, message)
                fn = (
                    (lambda s=scheme, k=private: s.sign(k, message))
                    if kind == "sign"
                    else (lambda s=scheme, p=public, g=signature: s.verify(p, message, g))
                )
                rates[name] = _rate(fn, seconds=1.0)
            self._print(out, f"{kind} 512 B", rates, "ed25519")

    @staticmethod
    def _print(out, label: str, rates: dict[str, float], default: str, unit: str = "ops/s") -> None:
        parts = [f"{name} {rate:,.0f} {unit} ({rate / rates[default]:.2f}x)" for name, rate in rates.items()]
        out(f"  {label:<28} " + "; ".join(parts))
