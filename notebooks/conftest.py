"""Settings for nbval runs of the chapter notebooks (pytest --nbval-lax notebooks/).

Kernels started by nbval inherit this process's environment, so setting it here
reaches the notebooks: no widgets (no front end is attached), the cpu budget unless
the caller chose one, and a non-interactive matplotlib backend.
"""

import os

os.environ["GANLAB_STATIC"] = "1"
os.environ.setdefault("GANLAB_BUDGET", "cpu")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")  # tiny nets: threads only contend on a shared CPU
