"""Argument types for the ``plugtorch`` subcommands.

Each is an ``argparse`` ``type=``: it returns the parsed value or raises
``argparse.ArgumentTypeError``, so a bad value ends in argparse's own one-line message
(``plugtorch train: error: argument --epochs: ...``) and exit status 2, before any work starts.
"""

from __future__ import annotations

import argparse
import math

from plugtorch.backend.registry import BackendError, get_backend

__all__ = ["positive_int", "non_negative_int", "positive_float", "backend_name"]


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def positive_int(text: str) -> int:
    """An integer >= 1 (epochs, batch sizes, counts).

    >>> positive_int("3")
    3
    """
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """An integer >= 0 (seeds).

    >>> non_negative_int("0")
    0
    """
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (learning rates): nan, inf, 0 and negatives are refused.

    >>> positive_float("0.01")
    0.01
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number greater than 0, got {text}")
    return value


def backend_name(text: str) -> str:
    """The name of a backend that is installed and available here."""
    try:
        get_backend(text)
    except BackendError as error:
        raise argparse.ArgumentTypeError(str(error).splitlines()[0]) from None
    return text
