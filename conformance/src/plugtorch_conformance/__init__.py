"""plugtorch-conformance: prove a backend right with one command.

    plugtorch-conformance --backend NAME [--profile ci|thorough]

or, inside pytest, ``pytest -p plugtorch_conformance.plugin --backend NAME --pyargs
plugtorch_conformance.suite``. Areas: primitives (every protocol primitive against numpy in
float64), ops (every registered op through the core, forward and gradients), accelerated
(declared optional primitives against the core's decomposition), capabilities, determinism.

The other direction, what the core promises backends, is checked by
:class:`plugtorch_conformance.contract.CheckedBackend`: a wrapper that asserts the protocol's
rules on every primitive call (the core's own test suite runs through it).
"""

__version__ = "0.1.0"
