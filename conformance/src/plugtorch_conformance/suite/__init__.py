"""The conformance tests (run them through ``plugtorch-conformance`` or the pytest plugin)."""
