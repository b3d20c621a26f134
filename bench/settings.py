"""Settings of the benchmark server: the project's own, plus the bench-only bare-insert view.

`bench.serving.served` runs `python -m oversight.serve` with these settings. The static files may
be collected into a directory of the run's own (OVERSIGHT_BENCH_STATIC_ROOT), so a benchmark
never writes into the checkout's `staticfiles/` while someone else serves from it.
"""

import os
from pathlib import Path

from oversight.settings import *  # noqa: F403
from oversight.settings import STATIC_ROOT as _PROJECT_STATIC_ROOT

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = Path(os.environ.get("OVERSIGHT_BENCH_STATIC_ROOT") or _PROJECT_STATIC_ROOT)
