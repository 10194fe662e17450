"""manual_bp: backpropagation with the unit error δ, by hand in NumPy, as the lecture derives it.

Eq (1) δ ≜ ∂C/∂z, (2) ∂C/∂w = δ a, (3) ∂C/∂b = δ, (4) δ^L, (5) the recurrence: see
``manual_bp.backprop``.  This package never imports torch.
"""

from .activations import ACTIVATIONS, get_activation
from .backprop import Forward
from .costs import COSTS, get_cost
from .family import Family
from .network import MLP, init_params
from .optim import SGD, full_batch, train
from .step import TrainStep

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "Family",
    "MLP",
    "SGD",
    "Forward",
    "TrainStep",
    "full_batch",
    "get_activation",
    "get_cost",
    "init_params",
    "train",
]
