"""Types of the compiled fast path (``_fastreport.c``); see ``bulk.py``."""

from numpy import ndarray
from typing_extensions import Buffer

ID_WIDTH: int
JSON_SHAPE: int
VERSION: int

def count_lines(data: Buffer, /) -> int: ...
def scan(
    data: Buffer,
    ids: ndarray,
    duration: ndarray,
    billed: ndarray,
    memory: ndarray,
    max_memory: ndarray,
    init: ndarray,
    status: ndarray,
    slow: ndarray,
    kinds: ndarray | None,
    /,
) -> tuple[int, int, int, int, int, int, int]: ...
def scan_messages(
    messages: list[str],
    ids: ndarray,
    duration: ndarray,
    billed: ndarray,
    memory: ndarray,
    max_memory: ndarray,
    init: ndarray,
    status: ndarray,
    slow: ndarray,
    /,
) -> tuple[int, int, int]: ...
