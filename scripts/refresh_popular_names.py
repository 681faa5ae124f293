"""Refresh the most-downloaded package names the dependency-hygiene reviewer checks typosquats against.

    python scripts/refresh_popular_names.py pypi RANKING [--top 5000]
    python scripts/refresh_popular_names.py npm RANKING [--top 5000]

RANKING is a file of package names with their popularity: a TSV with a header line naming its columns
(``name`` and one of ``rank_among_15000_most_downloaded`` (lower is more popular) or
``downloads_a_month`` (higher is)), or the JSON of hugovk's "top-pypi-packages" (``{"rows": [{"project",
"download_count"}]}``). The list is written, most popular first, to
reviewers/dependencies/popular-{pypi,npm}.txt.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "reviewers" / "dependencies"


def ranked(path: Path) -> list[str]:
    if path.suffix == ".json":
        rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
        return [row["project"] for row in sorted(rows, key=lambda r: -int(r["download_count"]))]
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    rank = "rank_among_15000_most_downloaded"
    if rows and rank in rows[0]:
        return [name for _, name in sorted((int(r[rank]), r["name"]) for r in rows if r.get(rank))]
    monthly = [r for r in rows if (r.get("downloads_a_month") or "").isdigit()]
    return [name for _, name in sorted((-int(r["downloads_a_month"]), r["name"]) for r in monthly)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("ecosystem", choices=("pypi", "npm"))
    parser.add_argument("ranking", type=Path)
    parser.add_argument("--top", type=int, default=5000)
    args = parser.parse_args()
    names = list(dict.fromkeys(ranked(args.ranking)))[: args.top]
    target = OUT / f"popular-{args.ecosystem}.txt"
    target.write_text("\n".join(names) + "\n", encoding="utf-8")
    print(f"{target}: {len(names)} names")


if __name__ == "__main__":
    main()
