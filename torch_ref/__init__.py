"""torch_ref: the lecture's network in PyTorch, differentiated by autograd alone.

Never imports manual_bp; the two meet only in ``comparisons``.
"""

from .conv import TorchCNN, TorchCNNFamily
from .family import TorchFamily
from .model import ACTIVATIONS, SOFTPLUS_THRESHOLD, TorchMLP

__all__ = ["ACTIVATIONS", "SOFTPLUS_THRESHOLD", "TorchCNN", "TorchCNNFamily", "TorchFamily", "TorchMLP"]
