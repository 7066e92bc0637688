"""The recurrent layers and cells: `LSTM`, `GRU`, `SimpleRNN`, their cells, `RNN(cell)`, `StackedRNNCells`.

The equations live once in `lstmkit._kernels.recurrent`; a cell family's weights and
recurrence once in `cell_equations.py` plus its family class (`lstm.py`, `gru.py`,
`simple_rnn.py`), shared by the layer and the cell; the layers' sequence handling in
`rnn_base.py`, the generic `RNN(cell)` in `rnn.py`. All re-exported here.
"""

from lstmkit.layers.gru import GRU, GRUCell
from lstmkit.layers.lstm import LSTM, LSTMCell
from lstmkit.layers.rnn import RNN
from lstmkit.layers.rnn_base import NotStatefulError, RNNBase
from lstmkit.layers.simple_rnn import SimpleRNN, SimpleRNNCell
from lstmkit.layers.stacked_rnn_cells import StackedRNNCells

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "NotStatefulError", "RNN", "RNNBase", "SimpleRNN", "SimpleRNNCell",
           "StackedRNNCells"]
