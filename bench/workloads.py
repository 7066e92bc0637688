"""The benchmark workloads (W1-W10), built the same way for every framework.

Each `run_<framework>(workload)` returns a dict of timings in seconds. Data is
made with NumPy from a fixed seed so every framework sees the same arrays.

`BENCH_SMOKE=1` (or `python -m bench --smoke`) runs every workload once at a
tiny size (one epoch, few calls or steps): to check they run, not to time them.
"""

from __future__ import annotations

import os
import time

import numpy as np


def data_w1():
    seq = np.array([i / 5.0 for i in range(5)], np.float32)
    return seq.reshape(5, 1, 1), seq.reshape(5, 1)


def data_w2():
    raw = np.arange(10, 1000, 10, dtype=np.float32)  # 10, 20, ..., 990
    x = np.stack([raw[i:i + 3] for i in range(len(raw) - 3)])
    y = raw[3:]
    return x.reshape(-1, 3, 1), y.reshape(-1, 1)


def data_w3():
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.normal(size=2030)).astype(np.float32)
    x = np.stack([walk[i:i + 30] for i in range(2000)])
    y = walk[30:2030]
    return x.reshape(2000, 30, 1), y.reshape(-1, 1)


def data_w4():
    rng = np.random.default_rng(0)
    return rng.normal(size=(1280, 100, 32)).astype(np.float32), rng.normal(size=(1280, 1)).astype(np.float32)


def data_w9():
    """2,000 windows of 4 steps of a noisy sine, each cut into 2 subsequences of 2 steps (the CNN-LSTM tutorial's
    (samples, subsequences, steps, features) shape), the next value as target."""
    rng = np.random.default_rng(0)
    t = np.arange(2004)
    series = (np.sin(t / 20.0) + 0.1 * rng.normal(size=t.size)).astype(np.float32)
    x = np.stack([series[i:i + 4] for i in range(2000)])
    return x.reshape(2000, 2, 2, 1), series[4:].reshape(-1, 1)


SPECS = {
    # name: (data, layers description, batch, epochs)
    "W1": dict(data=data_w1, units=[5], activation="tanh", batch=5, epochs=1000),
    "W2": dict(data=data_w2, units=[50], activation="relu", batch=32, epochs=200),
    "W3": dict(data=data_w3, units=[64, 64], activation="tanh", batch=60, epochs=5),
    "W4": dict(data=data_w4, units=[256], activation="tanh", batch=64, epochs=1),
}
# W9: the tutorials' univariate CNN-LSTM: TimeDistributed(Conv1D(64, 1, relu)), TimeDistributed(MaxPooling1D(2)),
# TimeDistributed(Flatten()), LSTM(50, relu), Dense(1).
CNN_LSTM = dict(data=data_w9, filters=64, units=50, batch=32, epochs=10)
# W10: W2's model and data, its batches served by a `utils.Sequence` / `keras.utils.PyDataset` (one host step a batch).
SEQUENCE_FED = dict(SPECS["W2"])
# W7: seed 001's repeated runs (section 10.4): build, compile and fit LSTM(10)+Dense(1) 10 times, 300 epochs each
# with validation data, shuffle=False.
REPEATED = dict(runs=10, units=10, epochs=300)
TRAINING = [*SPECS, "W9", "W10"]


def smoke():
    """True under BENCH_SMOKE=1: each workload once, tiny, to see that it runs."""
    return os.environ.get("BENCH_SMOKE") == "1"


def epochs(spec):
    return 1 if smoke() else spec["epochs"]

W4_FLOPS_PER_SAMPLE = None  # filled by lstm_train_flops


def lstm_train_flops(n, t, f, u):
    """Matmul FLOPs of one training pass of an LSTM(u) over n sequences of t steps, f features.

    Forward: x@W (2*f*4u) and h@U (2*u*4u) per step; backward does about twice that.
    """
    per_step = 2 * (f + u) * 4 * u
    return 3 * n * t * per_step


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# ----------------------------------------------------------------- lstmkit and Keras share an API
def training_fit(modules, spec):
    """A compiled model for a training workload (W1-W4) and a function running its fit."""
    Sequential, LSTM, Dense, Input = modules
    x, y = spec["data"]()
    layers = [Input(x.shape[1:])]
    for i, u in enumerate(spec["units"]):
        layers.append(LSTM(u, activation=spec["activation"], return_sequences=i < len(spec["units"]) - 1))
    layers.append(Dense(1))
    model = Sequential(layers)
    model.compile(optimizer="adam", loss="mse")
    return lambda: model.fit(x, y, batch_size=spec["batch"], epochs=epochs(spec), verbose=0, shuffle=True)


def cnn_lstm_fit(modules, cnn_modules, spec=CNN_LSTM):
    """W9: the CNN-LSTM, compiled, and a function running its fit."""
    Sequential, LSTM, Dense, Input = modules
    TimeDistributed, Conv1D, MaxPooling1D, Flatten = cnn_modules
    x, y = spec["data"]()
    model = Sequential([Input(x.shape[1:]), TimeDistributed(Conv1D(spec["filters"], 1, activation="relu")),
                        TimeDistributed(MaxPooling1D(2)), TimeDistributed(Flatten()),
                        LSTM(spec["units"], activation="relu"), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return lambda: model.fit(x, y, batch_size=spec["batch"], epochs=epochs(spec), verbose=0, shuffle=True)


def sequence_fit(modules, sequence_class, spec=SEQUENCE_FED):
    """W10: W2's model fed by a Sequence of batches (fit's shuffle=True shuffles the batch order in both)."""
    Sequential, LSTM, Dense, Input = modules
    x, y = spec["data"]()
    bs = spec["batch"]

    class Batches(sequence_class):
        def __len__(self):
            return -(-len(x) // bs)

        def __getitem__(self, i):
            return x[i * bs:(i + 1) * bs], y[i * bs:(i + 1) * bs]

    model = Sequential([Input(x.shape[1:]), LSTM(spec["units"][0], activation=spec["activation"]), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    batches = Batches()
    return lambda: model.fit(batches, epochs=epochs(spec), verbose=0, shuffle=True)


def _timed_fits(make):
    """`make()` builds and compiles a new model and returns a function running its fit.

    fresh: this process up to the end of its first fit; again: the same model fitted again;
    rebuilt: a new model of the same architecture built, compiled and fitted in the same process
    (what repeated runs, k-fold and grid searches do).
    """
    fit = make()
    first = timed(fit)
    # "first_done" lets the caller report the whole fresh process: imports, building, compiling, training.
    out = {"first_fit": first, "first_done": time.perf_counter(), "steady": timed(fit)}
    out["rebuilt"] = timed(lambda: make()())
    return out


def _keras_like(modules, name, spec):
    return _timed_fits(lambda: training_fit(modules, spec))


def data_w7():
    """seed 001's get_train / get_val: a short ramp, each value predicting the next."""
    seq = np.linspace(0.0, 1.0, 12, dtype=np.float32)
    val = np.linspace(0.5, 1.5, 12, dtype=np.float32)
    return (seq[:-1].reshape(-1, 1, 1), seq[1:].reshape(-1, 1)), (val[:-1].reshape(-1, 1, 1), val[1:].reshape(-1, 1))


def _repeated_runs(modules, framework, spec=REPEATED):
    """W7: the plain loop of seed 001 (in every framework); for lstmkit also its `repeat_runs`."""
    Sequential, LSTM, Dense, Input = modules
    (x, y), (vx, vy) = data_w7()
    n_epochs = 1 if smoke() else spec["epochs"]

    def build():
        model = Sequential([Input((1, 1)), LSTM(spec["units"]), Dense(1, activation="linear")])
        model.compile(loss="mse", optimizer="adam")
        return model

    def loop():
        for _ in range(spec["runs"]):
            build().fit(x, y, epochs=n_epochs, validation_data=(vx, vy), shuffle=False, verbose=0)

    out = {"first_fit": timed(loop), "first_done": time.perf_counter(), "steady": timed(loop)}
    if framework == "lstmkit":
        from lstmkit.forecasting import repeat_runs

        runs = lambda: repeat_runs(build, x, y, n=spec["runs"], validation_data=(vx, vy), epochs=n_epochs,  # noqa: E731
                                   batch_size=32, shuffle=False)
        out["repeat_runs"] = timed(runs)  # its first call: compiles its one program for the 10 models
        out["repeat_runs_again"] = timed(runs)
    return out


def _keras_like_latency(modules, calls=200):
    Sequential, LSTM, Dense, Input = modules
    model = Sequential([Input((3, 1)), LSTM(50, activation="relu"), Dense(1)])
    x = np.array([70, 80, 90], np.float32).reshape(1, 3, 1)
    calls, least = (2, 0.0) if smoke() else (calls, 1.0)
    for _ in range(2 if smoke() else 20):  # warm up: first calls compile and fill caches
        model.predict(x, verbose=0)
    # At least `calls` calls and one second, so fast frameworks are timed over many calls too.
    done, t0 = 0, time.perf_counter()
    while done < calls or time.perf_counter() - t0 < least:
        model.predict(x, verbose=0)
        done += 1
    return {"per_call": (time.perf_counter() - t0) / done}


def _keras_like_generation(modules, extra, steps=1000, lstmkit_generate=False):
    steps = 5 if smoke() else steps
    Sequential, LSTM, Dense, Input = modules
    Embedding = extra
    model = Sequential([Input(batch_shape=(1, 1)), Embedding(65, 64), LSTM(256, stateful=True, return_sequences=True),
                        Dense(65)])
    rng = np.random.default_rng(0)
    token = np.zeros((1, 1), np.int32)
    model.predict(token, verbose=0)

    def gen():
        tok = token
        for _ in range(steps):
            logits = model.predict(tok, verbose=0)[0, -1]
            p = np.exp(logits - logits.max())
            tok = np.array([[rng.choice(65, p=p / p.sum())]], np.int32)

    result = {"total": timed(gen)}
    if lstmkit_generate:
        # The same 1000 sampled steps with lstmkit's own API: one compiled loop (timed after compiling).
        from lstmkit.generation import generate

        generate(model, [0], steps, seed=0)
        result["generate"] = timed(lambda: generate(model, [0], steps, seed=1))
    return result


def lstmkit_modules():
    from lstmkit import Input
    from lstmkit.layers import LSTM, Dense
    from lstmkit.models import Sequential

    return Sequential, LSTM, Dense, Input


def keras_modules():
    import keras

    return keras.Sequential, keras.layers.LSTM, keras.layers.Dense, keras.Input


def cnn_modules(framework):
    if framework == "lstmkit":
        from lstmkit.layers import Conv1D, Flatten, MaxPooling1D, TimeDistributed
    else:
        from keras.layers import Conv1D, Flatten, MaxPooling1D, TimeDistributed
    return TimeDistributed, Conv1D, MaxPooling1D, Flatten


def sequence_class(framework):
    if framework == "lstmkit":
        from lstmkit.utils import Sequence
    else:
        from keras.utils import PyDataset as Sequence
    return Sequence


def run_keras_like(framework, workload):
    mods = lstmkit_modules() if framework == "lstmkit" else keras_modules()
    if workload in SPECS:
        return _keras_like(mods, workload, SPECS[workload])
    if workload == "W7":
        return _repeated_runs(mods, framework)
    if workload == "W9":
        return _timed_fits(lambda: cnn_lstm_fit(mods, cnn_modules(framework)))
    if workload == "W10":
        return _timed_fits(lambda: sequence_fit(mods, sequence_class(framework)))
    if workload == "W11":
        from bench import forecast_job

        return forecast_job.run(framework, smoke())
    if workload == "W12":
        from bench import panel_job

        return panel_job.run(framework, smoke())
    if workload == "W5":
        return _keras_like_latency(mods)
    if workload == "W6":
        if framework == "lstmkit":
            from lstmkit.layers import Embedding
        else:
            from keras.layers import Embedding
        return _keras_like_generation(mods, Embedding, lstmkit_generate=framework == "lstmkit")
    raise ValueError(workload)


# ----------------------------------------------------------------- plain PyTorch
def run_torch(workload):
    import torch

    torch.manual_seed(0)
    if workload == "W6":
        return _torch_generation(torch)
    if workload == "W9":
        return _torch_cnn_lstm(torch)
    if workload not in SPECS:
        return None  # W5 and W10 are W2's relu model, W7 a Keras loop: see below
    spec = SPECS[workload]
    x, y = spec["data"]()
    act = spec["activation"]
    if act != "tanh":
        return None  # nn.LSTM has no relu variant: no like-for-like peer
    n_features = x.shape[2]

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstms = torch.nn.ModuleList()
            f = n_features
            for u in spec["units"]:
                self.lstms.append(torch.nn.LSTM(f, u, batch_first=True))
                f = u
            self.head = torch.nn.Linear(f, 1)

        def forward(self, inp):
            h = inp
            for lstm in self.lstms:
                h, _ = lstm(h)
            return self.head(h[:, -1])

    return _torch_train(torch, Net, x, y, spec)


def _torch_train(torch, make_net, x, y, spec):
    """Adam (Keras's defaults) and shuffled minibatches of MSE, timed as the Keras-like workloads."""
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    n, bs = len(xt), spec["batch"]

    def make():
        net = make_net()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)

        def fit():
            for _ in range(epochs(spec)):
                perm = torch.randperm(n)
                for s in range(0, n, bs):
                    idx = perm[s:s + bs]
                    opt.zero_grad()
                    loss = torch.nn.functional.mse_loss(net(xt[idx]), yt[idx])
                    loss.backward()
                    opt.step()

        return fit

    return _timed_fits(make)


def _torch_cnn_lstm(torch, spec=CNN_LSTM):
    """W9 in plain PyTorch. nn.LSTM has no relu variant, so the LSTM(50, relu) is written out: Keras's equations
    (sigmoid gates, relu on the candidate and on the cell output), the input projection of all steps at once."""
    nn = torch.nn
    x, y = spec["data"]()
    _, n_sub, n_steps, n_features = x.shape

    class ReluLSTM(nn.Module):
        def __init__(self, f, u):
            super().__init__()
            self.units, self.kernel, self.recurrent = u, nn.Linear(f, 4 * u), nn.Linear(u, 4 * u, bias=False)

        def forward(self, inp):
            projected = self.kernel(inp)
            h = c = inp.new_zeros(inp.shape[0], self.units)
            for t in range(inp.shape[1]):
                i, f, g, o = (projected[:, t] + self.recurrent(h)).chunk(4, dim=1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.relu(g)
                h = torch.sigmoid(o) * torch.relu(c)
            return h

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.pool = nn.Conv1d(n_features, spec["filters"], 1), nn.MaxPool1d(2)
            self.lstm, self.head = ReluLSTM(spec["filters"] * (n_steps // 2), spec["units"]), nn.Linear(spec["units"], 1)

        def forward(self, inp):
            b = inp.shape[0]
            # TimeDistributed: the subsequences side by side in the batch; Conv1d wants channels first.
            z = inp.reshape(b * n_sub, n_steps, n_features).transpose(1, 2)
            z = self.pool(torch.relu(self.conv(z))).transpose(1, 2).reshape(b, n_sub, -1)
            return self.head(self.lstm(z))

    return _torch_train(torch, Net, x, y, spec)


def _torch_generation(torch, steps=1000):
    """W6 in plain PyTorch: the same model and the same Python sampling loop, the state carried by hand."""
    steps = 5 if smoke() else steps
    embed, lstm, head = torch.nn.Embedding(65, 64), torch.nn.LSTM(64, 256, batch_first=True), torch.nn.Linear(256, 65)
    rng = np.random.default_rng(0)

    def gen(n):
        tok, state = 0, None
        with torch.inference_mode():
            for _ in range(n):
                out, state = lstm(embed(torch.tensor([[tok]])), state)
                logits = head(out[0, -1]).numpy()
                p = np.exp(logits - logits.max())
                tok = int(rng.choice(65, p=p / p.sum()))

    gen(1)  # warm up, as the other frameworks' first predict does
    return {"total": timed(lambda: gen(steps))}


def matmul_rate(size=1024, repeats=20):
    """This machine's float32 matmul rate (FLOP/s) through XLA, measured now."""
    import jax
    import jax.numpy as jnp

    a = jnp.ones((size, size), jnp.float32)
    f = jax.jit(lambda a: a @ a)
    f(a).block_until_ready()
    t0 = time.perf_counter()
    for _ in range(repeats):
        f(a).block_until_ready()
    return 2 * size**3 * repeats / (time.perf_counter() - t0)
