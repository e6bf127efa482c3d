"""How big the HTML report is: one function, and twelve (what each extra function adds).

Results from report_gate.big_result: 10 sizes per function, 50 invocations per size (a typical
run) and 200 per size (the report keeps at most 200 dots per size, so this is the most a function
adds), each with a fitted curve of 160 points. Prints bytes of the page as written.

    python benchmarks/report_size.py
"""

from __future__ import annotations

from report_gate import big_result

from powertune.outputs.html import render_html


def page_bytes(functions: int, per_size: int) -> int:
    return len(render_html(big_result(3, functions=functions, per_size=per_size)).encode("utf-8"))


def main() -> None:
    print(f"{'result':<40} {'HTML bytes':>12}")
    for per_size in (50, 200):
        one, twelve = page_bytes(1, per_size), page_bytes(12, per_size)
        print(f"{f'1 function, {per_size} invocations/size':<40} {one:>12,}")
        print(f"{f'12 functions, {per_size} invocations/size':<40} {twelve:>12,}")
        print(f"{'  each extra function adds':<40} {(twelve - one) // 11:>12,}")


if __name__ == "__main__":
    main()
