"""Subcommands of the ``plugtorch`` command line (see :mod:`plugtorch.cli`)."""
