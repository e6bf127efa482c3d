"""The CI gate: compare a baseline result with a current one."""
