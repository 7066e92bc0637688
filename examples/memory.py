"""Seed 001, section 5: an LSTM that remembers (AxxxxxxYa / BxxxxxxYb).

A character model reads strings that start with A or B, go on with a run of
x's of varying length and a Y, and end with a (after A) or b (after B). It
predicts the next character at every step; only the last one needs memory:
what came first, many steps back. We train it, trace it with
`lstmkit.inspect.trace`, find the unit whose cell state tells A from B with
`lstmkit.inspect.find_units`, check that it separates the two cases at the
last step, and draw its cell state and input gate with
`lstmkit.plot.trace_heatmap`. The seed's network kept that unit's input gate
shut on the x's; the example prints what the gate of the unit found here does
(how a network stores the bit depends on its training run: the one trained
here has kept the gate mostly open, letting each x push the cell further in
the direction the first character set).

Writes memory.png in the current directory.
"""
import time

import numpy as np

import lstmkit
from lstmkit.inspect import find_units, trace
from lstmkit.layers import LSTM, Dense, Masking
from lstmkit.models import Sequential
from lstmkit.plot import trace_heatmap

start = time.perf_counter()
lstmkit.utils.set_random_seed(0)

# ---- data: A + x*k + Y + a and B + x*k + Y + b for k = 1..10, one-hot, padded at the end (masked)
CHARS = "ABxYab"
ids = {c: i + 1 for i, c in enumerate(CHARS)}  # 0 is padding
strings = [first + "x" * k + "Y" + last for k in range(1, 11) for first, last in (("A", "a"), ("B", "b"))]
steps = max(len(s) for s in strings) - 1
x_ids = np.zeros((len(strings), steps), np.int32)
y = np.zeros((len(strings), steps), np.int32)
for row, s in enumerate(strings):
    codes = [ids[c] for c in s]
    x_ids[row, :len(codes) - 1] = codes[:-1]
    y[row, :len(codes) - 1] = codes[1:]
X = np.eye(len(CHARS) + 1, dtype="float32")[x_ids]
X[..., 0] = 0.0  # padding steps are all zeros, which Masking skips
last_step = np.array([len(s) - 2 for s in strings])  # index of the Y, the step that must recall A or B
rows = np.arange(len(strings))
is_a = np.array([s[0] == "A" for s in strings])

# ---- model and training: next character at every step
model = Sequential([
    Masking(0.0, input_shape=(steps, len(CHARS) + 1)),
    LSTM(16, return_sequences=True, name="lstm"),
    Dense(len(CHARS) + 1),
])
model.compile(optimizer=lstmkit.optimizers.Adam(0.005),
              loss=lstmkit.losses.SparseCategoricalCrossentropy(from_logits=True))
history = model.fit(X, y, epochs=800, batch_size=len(X), verbose=0)
predicted = model.predict(X, verbose=0).argmax(-1)
recalled = predicted[rows, last_step] == y[rows, last_step]
print(f"loss {history.history['loss'][-1]:.3f}; "
      f"last character (a or b) right in {recalled.sum()}/{len(strings)} strings")

# ---- look inside: which cell remembers A vs B?
traces = trace(model, X)
which = np.where(is_a, 1.0, -1.0)[:, None] * np.ones((1, steps))  # +1 for A strings, -1 for B, at every step
best = find_units(traces, which, quantity="c", top=3)
for match in best:
    print(f"unit {match.unit}: correlation of its cell state with A(+1)/B(-1) {match.correlation:+.3f}")
unit = best[0].unit
lstm = traces["lstm"]
final = lstm.c[rows, last_step, unit]
print(f"unit {unit} at the last step: A strings {final[is_a].min():+.2f}..{final[is_a].max():+.2f}, "
      f"B strings {final[~is_a].min():+.2f}..{final[~is_a].max():+.2f}")
separated = final[is_a].min() > final[~is_a].max() or final[is_a].max() < final[~is_a].min()
assert separated, f"unit {unit} does not separate A from B at the last step"
gate = lstm.i[..., unit]
on_first = gate[:, 0].mean()
on_x = gate[x_ids == ids["x"]].mean()
print(f"its input gate: {on_first:.2f} on the first character, {on_x:.2f} on the x's on average")

# ---- the picture: the unit's cell state and input gate, character by character, for one A and one B string
import matplotlib.pyplot as plt  # noqa: E402  (after lstmkit.plot chose a headless backend if needed)

pair = (12, 13)  # AxxxxxxxYa and BxxxxxxxYb (k = 7)
bound = float(np.abs(lstm.c[list(pair), :, unit]).max())  # one colour scale for both strings
fig, axes = plt.subplots(4, 1, figsize=(8, 5.6))
for k, sample in enumerate(pair):
    text = strings[sample][:-1]
    trace_heatmap(traces, "lstm", "c", units=[unit], labels=text, sample=sample, steps=len(text),
                  vmin=-bound, vmax=bound, ax=axes[2 * k], title=f"{strings[sample]}: cell state of unit {unit}")
    trace_heatmap(traces, "lstm", "i", units=[unit], labels=text, sample=sample, steps=len(text),
                  ax=axes[2 * k + 1], title=f"{strings[sample]}: input gate of unit {unit}")
fig.tight_layout()
fig.savefig("memory.png", dpi=100)
plt.close(fig)
print(f"saved memory.png ({time.perf_counter() - start:.1f} s)")
