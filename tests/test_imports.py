"""Every module that registers variants imports cleanly when it is the first one imported.

`variants` imports the variant families at its end and they import `variants`, so a module
that takes a *name* from another family at import time breaks when imported first (a
notebook doing `from ganlab import collapse` did). Each case runs in a fresh interpreter.
"""

import subprocess
import sys

import pytest

FAMILIES = ["collapse", "style", "attention", "inference", "translation", "singan", "augment",
            "superres", "vqgan", "transgan", "tabular", "timeseries", "audio",
            "variants", "cli", "flowgan", "energy", "rejection", "detect"]


@pytest.mark.parametrize("module", FAMILIES)
def test_module_imports_first(module):
    res = subprocess.run([sys.executable, "-c", f"import ganlab.{module}"], capture_output=True,
                         text=True, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
