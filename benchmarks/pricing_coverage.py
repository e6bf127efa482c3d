"""The region coverage table: which rate kinds the packaged catalog knows in which region.

Prints a markdown table (a row per rate kind, a column per region; yes = known, yes* = known but
marked verify, - = unknown) and per-region totals. An unknown cell is what a comparison reports
as "unknown in REGION" (JSON: null plus that reason), never $0.

    python benchmarks/pricing_coverage.py [--catalog FILE] [--baseline FILE]

--baseline FILE also prints how many cells another catalog (e.g. main's) knows, over all its
regions and over this catalog's, so a data change can quote its before/after counts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, as the others

from pricing.catalog import load_catalog
from pricing.coverage import coverage, coverage_markdown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--catalog", default=None)
    parser.add_argument("--baseline", default=None, help="another catalog to count against")
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
    if args.baseline:
        base = load_catalog(args.baseline)
        own = sorted({c.region for c in coverage(base)})
        print()
        for name, cat_, regions in (
            (f"baseline {base.origin}", base, own),
            (f"this catalog, the baseline's {len(own)} regions", cat, own),
            ("this catalog, all its regions", cat, None),
        ):
            got = coverage(cat_, regions)
            known = sum(c.known for c in got)
            verify = sum(c.label() == "verify" for c in got)
            print(f"{name}: {known} of {len(got)} cells known ({verify} of them verify)")


if __name__ == "__main__":
    main()
