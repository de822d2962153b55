"""`opt`: a dataclass field with its default and its one-line help.

Every config dataclass (TrainConfig, GANConfig and each family's) declares its fields with
`opt(default, "help")`; the CLI reads the help from `field.metadata["help"]` and the type
from the annotation, so `ganlab train --variant X --help` needs no source scraping.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

__all__ = ["opt"]


def opt(default: Any, help: str, **kw: Any) -> Any:  # noqa: A002 (argparse's word)
    """A dataclass field with a default and its one-line help (read by the CLI)."""
    if isinstance(default, (list, dict, set)):
        return field(default_factory=lambda: type(default)(default), metadata={"help": help}, **kw)
    return field(default=default, metadata={"help": help}, **kw)
