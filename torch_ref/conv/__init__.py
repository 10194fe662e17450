"""Convolutional networks in PyTorch, autograd alone: one network (``TorchCNN``) and G stacked (``TorchCNNFamily``).

``layers`` is a list of dicts, numbered l = 2 … L in order: {"kind": "conv", "filters", "size",
"stride", "pad", "activation"}, {"kind": "pool", "mode": "max" | "avg", "size", "stride"},
{"kind": "dense", "units", "activation"}.
"""

from .family import TorchCNNFamily
from .single import TorchCNN

__all__ = ["TorchCNN", "TorchCNNFamily"]
