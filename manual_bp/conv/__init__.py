"""Convolution and pooling layers below the lecture's dense layers, δ-backpropagated by hand.

``conv`` and ``pool`` hold the equations vectorised (the default), ``loops`` the same as plain loops,
``backprop`` eq (5') through every kind of layer, ``network.CNN`` the network, ``family.CNNFamily``
G of them stacked on a leading axis, ``step`` their training.
"""

from .family import CNNFamily
from .layers import Conv, Dense, Pool
from .network import CNN
from .step import ConvTrainStep, train

__all__ = ["CNN", "CNNFamily", "Conv", "ConvTrainStep", "Dense", "Pool", "train"]
