"""These scripts run on 2 ranks under `plugtorch run` (see tests/test_distributed.py); pytest
must not import them (``--doctest-modules`` would start MPI jobs' code in the test process)."""

collect_ignore_glob = ["*.py"]
