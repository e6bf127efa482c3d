"""CPU-bound, single-threaded: counts primes below ``limit`` by trial division.

Its duration is inversely proportional to the CPU share up to 1,769 MB, then flat: one thread
cannot use more than one vCPU.
"""

from __future__ import annotations

from typing import Any


def count_primes(limit: int) -> int:
    count = 0
    for n in range(2, limit):
        is_prime = True
        d = 2
        while d * d <= n:
            if n % d == 0:
                is_prime = False
                break
            d += 1
        count += is_prime
    return count


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    limit = int(event.get("limit", 100000))
    return {"limit": limit, "primes": count_primes(limit)}
