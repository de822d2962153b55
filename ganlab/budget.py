"""The compute budget every notebook runs under, chosen by one environment variable.

``GANLAB_BUDGET=cpu`` (the default) keeps each notebook to about a minute on two CPU
cores, which is what CI and a laptop run. ``GANLAB_BUDGET=full`` is for a GPU and
reaches the quality numbers the chapters quote. Notebooks never test the variable
themselves; they write ``steps = pick(cpu=400, full=20_000)``.
"""

from __future__ import annotations

import os
from typing import TypeVar

ENV_VAR = "GANLAB_BUDGET"
BUDGETS = ("cpu", "full")

T = TypeVar("T")


def budget() -> str:
    """The active budget, ``"cpu"`` or ``"full"``, read from ``GANLAB_BUDGET`` (default cpu)."""
    value = os.environ.get(ENV_VAR, "cpu").strip().lower() or "cpu"
    if value not in BUDGETS:
        raise ValueError(
            f"{ENV_VAR}={os.environ[ENV_VAR]!r} is not a budget; expected one of {BUDGETS} "
            f"(unset it for the default 'cpu')."
        )
    return value


def pick(*, cpu: T, full: T) -> T:
    """The value for the active budget: ``pick(cpu=400, full=20_000)``."""
    return cpu if budget() == "cpu" else full
