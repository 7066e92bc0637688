"""The networks `Forecaster` builds by name, with lstmkit's public layers.

* 'lstm' / 'gru': `layers` stacked recurrent layers (all but the last return sequences),
  then ``Dense(n_out)`` -- seed 000's vanilla and stacked models.
* 'encoder_decoder': ``LSTM -> RepeatVector(n_out) -> LSTM(return_sequences) ->
  TimeDistributed(Dense(1))`` -- seed 000's encoder-decoder; its targets are 3-D
  (samples, n_out, 1). With `layers` > 1 the encoder and the decoder each get that many.

With `quantiles` (Q levels) the output is (samples, n_out, Q), trained with the pinball loss:
``Dense(n_out * Q) -> Reshape((n_out, Q))`` for 'lstm' / 'gru', ``TimeDistributed(Dense(Q))`` for
'encoder_decoder'.
"""

from __future__ import annotations

KINDS = ("lstm", "gru", "encoder_decoder")

__all__ = ["KINDS", "build_model"]


def build_model(kind, window, n_features, n_out, units=32, layers=1, learning_rate=1e-3, quantiles=None):
    """A compiled lstmkit model (Adam, mean squared error; the pinball loss with `quantiles`) for windows
    of shape (window, n_features)."""
    from lstmkit.layers import GRU, LSTM, Dense, Input, RepeatVector, Reshape, TimeDistributed
    from lstmkit.losses import Pinball
    from lstmkit.models import Sequential
    from lstmkit.optimizers import Adam

    if kind not in KINDS:
        raise ValueError(f"`model` must be one of {KINDS} or a compiled lstmkit Model; received {kind!r}.")
    recurrent = GRU if kind == "gru" else LSTM
    stack = [Input((window, n_features))]
    if kind == "encoder_decoder":
        for i in range(layers):
            stack.append(LSTM(units, return_sequences=i < layers - 1))
        stack.append(RepeatVector(n_out))
        for _ in range(layers):
            stack.append(LSTM(units, return_sequences=True))
        stack.append(TimeDistributed(Dense(len(quantiles) if quantiles else 1)))
    else:
        for i in range(layers):
            stack.append(recurrent(units, return_sequences=i < layers - 1))
        if quantiles:
            stack += [Dense(n_out * len(quantiles)), Reshape((n_out, len(quantiles)))]
        else:
            stack.append(Dense(n_out))
    model = Sequential(stack)
    model.compile(optimizer=Adam(learning_rate=learning_rate), loss=Pinball(quantiles) if quantiles else "mse")
    return model
