"""ganlab: the library under the GAN course.

Modules: `data`, `nets`, `losses`, `regularizers`, `train` (the one training
loop), `variants`, `metrics`, `viz`, `theory`, `budget`. See docs/design.md.
"""

from .budget import budget, pick

__version__ = "0.1.0"
__all__ = ["budget", "pick", "__version__"]
