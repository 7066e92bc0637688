"""The recurrent layers: `LSTM`, `GRU`, `SimpleRNN` (and their shared base `RNNBase`).

The equations live once in `lstmkit._kernels.recurrent`; the layers live in
`lstm.py`, `gru.py`, `simple_rnn.py` on top of `rnn_base.py`, re-exported here.
"""

from lstmkit.layers.gru import GRU
from lstmkit.layers.lstm import LSTM
from lstmkit.layers.rnn_base import NotStatefulError, RNNBase
from lstmkit.layers.simple_rnn import SimpleRNN

__all__ = ["GRU", "LSTM", "NotStatefulError", "RNNBase", "SimpleRNN"]
