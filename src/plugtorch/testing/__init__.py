"""Testing helpers shared by plugtorch's own tests and the conformance suite.

``plugtorch.testing.op_db`` holds one sample entry per registered op (PyTorch's OpInfo idea).
Importing it imports ``plugtorch.nn`` so that every op is registered.
"""
