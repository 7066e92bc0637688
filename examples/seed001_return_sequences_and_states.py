"""Seeds 001 and 004: return_sequences and return_state of an LSTM(1) on one 3-step sample."""
from numpy import array

from lstmkit.models import Model
from lstmkit.layers import Input
from lstmkit.layers import LSTM

data = array([0.1, 0.2, 0.3]).reshape((1, 3, 1))

# return_sequences: one hidden state per time step
inputs1 = Input(shape=(3, 1))
lstm1 = LSTM(1, return_sequences=True)(inputs1)
model = Model(inputs=inputs1, outputs=lstm1)
sequences = model.predict(data)
print(sequences)  # shape (1, 3, 1)

# return_state: lstm1 and state_h are both the last hidden state; state_c the last cell state
inputs1 = Input(shape=(3, 1))
lstm1, state_h, state_c = LSTM(1, return_state=True)(inputs1)
model = Model(inputs=inputs1, outputs=[lstm1, state_h, state_c])
states = model.predict(data)
print(states)

# both: lstm1 has every step's hidden state, state_h the last one, state_c the last cell state
inputs1 = Input(shape=(3, 1))
lstm1, state_h, state_c = LSTM(1, return_sequences=True, return_state=True)(inputs1)
model = Model(inputs=inputs1, outputs=[lstm1, state_h, state_c])
both = model.predict(data)
print(both)
