"""``plugtorch.backends``: the switches PyTorch scripts flip first (``cudnn.benchmark``,
``cuda.matmul.allow_tf32``, ``mps.is_available()``).

They keep PyTorch's names, defaults and types; what each changes in plugtorch is said in its
module. (Backends in plugtorch's own sense, the array libraries, are :mod:`plugtorch.backend`.)

>>> import plugtorch as pt
>>> pt.backends.cudnn.benchmark = True   # accepted; see cudnn for what it changes
>>> pt.backends.mps.is_available()
False
>>> pt.backends.cudnn.benchmark = False
"""

from plugtorch.backends import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
