"""The region coverage table: which rate kinds the packaged catalog knows in which region.

Prints a markdown table (a row per rate kind, a column per region; yes = known, yes* = known but
marked verify, - = unknown) and per-region totals. An unknown cell is what a comparison reports
as "unknown in REGION" (JSON: null plus that reason), never $0.

    python benchmarks/pricing_coverage.py [--catalog FILE]
"""

from __future__ import annotations

import argparse

from pricing.catalog import load_catalog
from pricing.coverage import coverage, coverage_markdown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--catalog", default=None)
    args = parser.parse_args()
    cat = load_catalog(args.catalog)
    cells = coverage(cat)
    print(f"catalog {cat.version} ({cat.origin})\n")
    print(coverage_markdown(cells))
    print("| region | known | verify | unknown |\n|---|---|---|---|")
    for region in dict.fromkeys(c.region for c in cells):
        mine = [c for c in cells if c.region == region]
        labels = [c.label() for c in mine]
        print(
            f"| {region} | {labels.count('known')} | {labels.count('verify')} | "
            f"{labels.count('unknown')} |"
        )


if __name__ == "__main__":
    main()
