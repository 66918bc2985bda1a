"""``torch.nn.modules.rnn``'s path. The recurrent layers are not in plugtorch yet.

Importing the module works (PyTorch code often imports it without using it); asking it for
one of PyTorch's recurrent layers raises ``AttributeError`` naming what is missing and what to
use meanwhile (``from ... import LSTM`` turns that into Python's ``ImportError``).

>>> import plugtorch.nn.modules.rnn as rnn
>>> rnn.LSTM
Traceback (most recent call last):
...
AttributeError: plugtorch.nn.modules.rnn.LSTM is not available yet: ...
"""

from __future__ import annotations

__all__: list[str] = []

_PYTORCH_NAMES = frozenset(
    {"RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"}
)


def __getattr__(name: str) -> object:
    if name in _PYTORCH_NAMES:
        raise AttributeError(
            f"plugtorch.nn.modules.rnn.{name} is not available yet: plugtorch has no recurrent "
            "layers in this version; write the recurrence with nn.Linear and a Python loop "
            "over time steps"
        )
    raise AttributeError(f"module 'plugtorch.nn.modules.rnn' has no attribute {name!r}")
