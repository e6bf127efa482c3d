"""The one thing pyproject.toml cannot say for every setuptools it allows: the optional C extension.

``powertune.logs._fastreport`` is the bulk REPORT parser's compiled fast path. It is
optional: without a C compiler (or Python headers) the build skips it with a warning, the install
succeeds, and ``powertune.logs.bulk`` uses its numpy path instead.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "powertune.logs._fastreport",
            sources=["powertune/logs/_fastreport.c"],
            optional=True,
        )
    ]
)
