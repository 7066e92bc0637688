"""Ported from Keras 3 (Apache-2.0): keras/src/layers/rnn/conv_lstm_test.py (Keras 3.15), run on lstmkit.

Keras's private ConvLSTMCell / ConvLSTM (rank-generic) are lstmkit.layers.conv_lstm.ConvLSTMCell and
lstmkit.layers.conv_lstm_layers.ConvLSTM.

Every test is kept whole, with Keras's expected values; nothing left out. `backend.config.image_data_format()`
is lstmkit's (channels_last unless set), as in Keras; Keras's `backend.convert_to_numpy` is the harness's
`convert_to_numpy`.
"""

import numpy as np

import _testing as testing
from _testing import backend

from lstmkit import initializers
from lstmkit.layers.conv_lstm import ConvLSTMCell
from lstmkit.layers.conv_lstm_layers import ConvLSTM


class TestConvLSTMCell(testing.TestCase):
    def test_correctness(self):
        x = np.arange(150).reshape((2, 5, 5, 3)).astype("float32") / 10
        s1 = np.arange(200).reshape((2, 5, 5, 4)).astype("float32") / 10
        s2 = np.arange(200).reshape((2, 5, 5, 4)).astype("float32") / 10

        if backend.config.image_data_format() == "channels_first":
            x = x.transpose((0, 3, 1, 2))
            s1 = s1.transpose((0, 3, 1, 2))
            s2 = s2.transpose((0, 3, 1, 2))
        layer = ConvLSTMCell(
            rank=2,
            filters=4,
            kernel_size=3,
            padding="same",
            kernel_initializer=initializers.Constant(0.01),
            recurrent_initializer=initializers.Constant(0.02),
        )
        output = layer(x, [s1, s2])
        checksum_0 = np.sum(testing.convert_to_numpy(output[0]))
        self.assertAllClose(checksum_0, 188.89502, tpu_atol=1e-4, tpu_rtol=1e-4)
        checksum_1 = np.sum(testing.convert_to_numpy(output[1][0]))
        self.assertAllClose(checksum_1, 188.89502, tpu_atol=1e-4, tpu_rtol=1e-4)
        checksum_2 = np.sum(testing.convert_to_numpy(output[1][1]))
        self.assertAllClose(checksum_2, 2170.444, tpu_atol=1e-4, tpu_rtol=1e-4)


class TestConvLSTM(testing.TestCase):
    def test_correctness(self):
        x = np.arange(450).reshape((2, 3, 5, 5, 3)).astype("float32") / 100
        s1 = np.arange(200).reshape((2, 5, 5, 4)).astype("float32") / 100
        s2 = np.arange(200).reshape((2, 5, 5, 4)).astype("float32") / 100

        if backend.config.image_data_format() == "channels_first":
            x = x.transpose((0, 1, 4, 2, 3))
            s1 = s1.transpose((0, 3, 1, 2))
            s2 = s2.transpose((0, 3, 1, 2))
        layer = ConvLSTM(
            rank=2,
            filters=4,
            kernel_size=3,
            padding="same",
            kernel_initializer=initializers.Constant(0.01),
            recurrent_initializer=initializers.Constant(0.02),
        )
        output = layer(x, initial_state=[s1, s2])
        output = testing.convert_to_numpy(output)
        self.assertAllClose(
            np.sum(output), 119.812454, tpu_atol=1e-3, tpu_rtol=1e-3
        )
