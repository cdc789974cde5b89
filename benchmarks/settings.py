"""Settings for the load benchmark: the project's settings, plus the fixed-string baseline route.

`benchmarks/run.py` sets the environment (a separate database, DEBUG off, a throwaway secret)
before these are imported; nothing else differs from production.
"""

from newsroom.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
