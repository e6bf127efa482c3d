"""Shared by the bulk parser's tests: two ReportTables compared column by column."""

from __future__ import annotations

import numpy as np

from powertune.logs.bulk import ReportTable


def assert_identical(got: ReportTable, want: ReportTable) -> None:
    """Same columns, same dtypes, same values; floats bit for bit."""
    for name in ReportTable.__dataclass_fields__:
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype, name
        if a.dtype == np.float64:
            assert a.view(np.uint64).tolist() == b.view(np.uint64).tolist(), name
        else:
            assert a.tolist() == b.tolist(), name
