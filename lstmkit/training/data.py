"""Turning user data into checked float32/int32 NumPy arrays, before anything is compiled."""

from __future__ import annotations

import os
import sys
import warnings
import weakref

import numpy as np

from lstmkit.data.windows import WindowedSeries


def to_numpy(a, argname):
    """`a` as a float32 (floats, bools) or int32 (integers) NumPy array; a clear error otherwise."""
    if hasattr(a, "to_numpy"):  # pandas DataFrame / Series
        a = a.to_numpy()
    try:
        arr = np.asarray(a)
    except Exception as exc:  # ragged lists etc.
        ragged = _first_ragged(a, argname)
        if ragged is not None:
            raise ValueError(f"`{argname}` is a ragged list: {ragged}. Every sample must have the same shape: pad "
                             "the sequences to one length (lstmkit.utils.pad_sequences).") from None
        raise ValueError(f"`{argname}` could not be converted to an array: {exc}") from None
    if arr.dtype == object:
        raise ValueError(
            f"`{argname}` must be numeric; received an array of Python objects with shape {arr.shape} "
            "(ragged lists or strings?)."
        )
    if arr.dtype == bool:
        arr = arr.astype(np.float32)
    if np.issubdtype(arr.dtype, np.floating):
        return arr.astype(np.float32, copy=False)
    if np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.int32, copy=False)
    raise ValueError(f"`{argname}` must be numeric; received dtype {arr.dtype}.")


def _first_ragged(a, path=""):
    """Where nested lists first disagree in length: "`[0]` has length 2 but `[1]` has length 1"; None if
    they do not (the conversion failed for another reason)."""
    if not isinstance(a, (list, tuple)):
        return None
    sizes = [len(e) if isinstance(e, (list, tuple, np.ndarray)) else None for e in a]
    describe = lambda i: f"`{path}[{i}]` " + ("is a single number" if sizes[i] is None else f"has length {sizes[i]}")
    for i, size in enumerate(sizes):
        if size != sizes[0]:
            return f"{describe(0)} but {describe(i)}"
    for i, e in enumerate(a):
        found = _first_ragged(e, f"{path}[{i}]")
        if found is not None:
            return found
    return None


def flatten_data(data, names, argname, n_expected=None):
    """x or y as a list of arrays, one per model input/output, in model order."""
    if data is None:
        return None
    if isinstance(data, WindowedSeries):
        raise ValueError(f"`{argname}` is a WindowedSeries, which fit, evaluate and predict take (as x, with y=None); "
                         "this method takes arrays: use `windows[:]` for (x, y) arrays.")
    if isinstance(data, dict):
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(f"`{argname}` is a dict but lacks keys {missing}; expected keys {names}.")
        unknown = [k for k in data if k not in names]
        if unknown:
            raise ValueError(f"`{argname}` has keys {unknown} that match no model {argname == 'x' and 'input' or 'output'}; expected keys {names}.")
        items = [data[n] for n in names]
    elif isinstance(data, (list, tuple)) and n_expected is not None and n_expected > 1:
        if len(data) != n_expected:
            raise ValueError(
                f"The model has {n_expected} {'inputs' if argname == 'x' else 'outputs'} ({names}), "
                f"but `{argname}` is a list of {len(data)} arrays."
            )
        items = list(data)
    elif isinstance(data, (list, tuple)) and len(data) == 1 and hasattr(data[0], "shape"):
        items = [data[0]]
    else:
        items = [data]
    arrays = [to_numpy(a, argname if len(items) == 1 else f"{argname}[{i}]") for i, a in enumerate(items)]
    for i, a in enumerate(arrays):
        if a.ndim == 0:
            raise ValueError(f"`{argname}` must have a leading samples dimension; received a scalar.")
    return arrays


def check_finite(arrays, argname):
    for i, a in enumerate(arrays or []):
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            bad = np.argwhere(~np.isfinite(a))[0]
            label = argname if len(arrays) == 1 else f"{argname}[{i}]"
            raise ValueError(
                f"`{label}` contains NaN or inf values (first at index {tuple(int(j) for j in bad)}); "
                "remove or fill them before training."
            )


def check_cardinality(x, y, sample_weight):
    sizes = {"x": [a.shape[0] for a in x]}
    if y is not None:
        sizes["y"] = [a.shape[0] for a in y]
    if sample_weight is not None:
        sizes["sample_weight"] = [sample_weight.shape[0]]
    flat = {s for v in sizes.values() for s in v}
    data_sizes = {s for k, v in sizes.items() if k != "sample_weight" for s in v}
    if sample_weight is not None and len(data_sizes) == 1 and sample_weight.shape[0] not in data_sizes:
        n = data_sizes.pop()
        raise ValueError(f"`sample_weight` must have one weight per sample: expected shape ({n},), received shape "
                         f"{tuple(sample_weight.shape)}.")
    if len(flat) > 1:
        detail = " ".join(f"'{k}' sizes: {', '.join(map(str, v))}" for k, v in sizes.items())
        raise ValueError(
            "Data cardinality is ambiguous: x and y must contain the same number of samples. " + detail
        )
    n = flat.pop()
    if n == 0:
        raise ValueError(f"`x` is empty: received arrays of shape {', '.join(str(a.shape) for a in x)} with 0 "
                         "samples; at least one sample is needed.")
    return n


def check_input_shapes(model, x):
    for i, (t, a) in enumerate(zip(model.inputs, x)):
        expected = t.shape
        label = "x" if len(x) == 1 else f"x[{i}]"
        if len(expected) != a.ndim:
            hint = ""
            if len(expected) == 3 and a.ndim == 2:
                hint = (" Recurrent layers take 3-D input (samples, timesteps, features): reshape with "
                        f"x.reshape(({a.shape[0]}, {a.shape[1]}, 1)) for one feature per step.")
            raise ValueError(
                f"Input {i} of model '{model.name}' expects arrays of shape {format_shape(expected)} "
                f"(ndim={len(expected)}), but received `{label}` with shape {a.shape} (ndim={a.ndim}).{hint}"
            )
        for d_exp, d_got in zip(expected[1:], a.shape[1:]):
            if d_exp is not None and d_exp != d_got:
                raise ValueError(
                    f"Input {i} of model '{model.name}' expects arrays of shape {format_shape(expected)}, "
                    f"but received `{label}` with shape {a.shape}."
                )


class NotCompiledError(ValueError, RuntimeError):
    """fit / evaluate before compile(): Keras 3 raises a ValueError ("You must call `compile()` before using
    the model."); also a RuntimeError, which lstmkit raised before."""


class TargetShapeError(ValueError, TypeError):
    """`y` does not fit a model output under its loss. A ValueError; also a TypeError, which Keras 3 on
    JAX raises (from inside the loss) for equal-rank shapes that do not broadcast."""


def check_target_shapes(model, y, validation=False):
    """Each target against its output, under the compiled loss and Keras 3's rules (see
    `lstmkit.losses.shapes`): a clear error where Keras's loss fails, one warning per call where
    it broadcasts in a way that is almost always a mistake."""
    from lstmkit.losses import shapes as loss_shapes

    losses = getattr(getattr(getattr(model, "_engine", None), "loss", None), "losses", None)
    warned = set()
    for i, (t, a) in enumerate(zip(model.outputs, y)):
        pred = tuple(t.shape)
        label = "y" if len(y) == 1 else f"y[{i}]"
        head = (f"Target `{label}` has shape {a.shape}, which does not match output {i} of model "
                f"'{model.name}' with shape {format_shape(pred)}")
        if losses is None:
            _check_target_without_loss(pred, a, head)
            continue
        loss = losses[i] if i < len(losses) else None
        if loss is None:
            continue  # no loss on this output: Keras does not look at its targets
        error, warning = loss_shapes.check_target(loss, a.shape, a.dtype, pred)
        if error:
            raise TargetShapeError(f"{head} under loss '{getattr(loss, 'name', type(loss).__name__)}': {error}")
        if warning:
            warned.add((i, a.shape[1:], warning))
    _warn_target_shapes(model, y, warned, validation)


def _check_target_without_loss(pred, a, head):
    """Before compile() there is no loss to ask: the shapes some Keras loss takes."""
    ok = False
    if a.ndim == len(pred):
        ok = all(p is None or p == d or d == 1 or p == 1 for p, d in zip(pred[1:], a.shape[1:]))
    elif a.ndim in (len(pred) - 1, len(pred) + 1):
        # sparse labels or a dropped trailing 1 (Keras expands it); or an extra trailing 1 (Keras squeezes it)
        ok = True
    if not ok:
        raise TargetShapeError(head + ".")


_WARNED_BY_TRAINING_DATA = weakref.WeakKeyDictionary()


def _warn_target_shapes(model, y, warned, validation):
    """One UserWarning per fit/evaluate call naming both shapes. fit checks its validation_data after its
    training data: what the training data already warned about is not repeated for it."""
    if validation:
        warned = {w for w in warned if (w[0], w[1]) not in _WARNED_BY_TRAINING_DATA.get(model, set())}
    else:
        try:
            _WARNED_BY_TRAINING_DATA[model] = {(i, tail) for i, tail, _ in warned}
        except TypeError:
            pass  # a model that cannot be weakly referenced: validation data may warn again
    if not warned:
        return
    lines = []
    for i, tail, why in sorted(warned, key=lambda w: w[0]):
        label = "y" if len(y) == 1 else f"y[{i}]"
        lines.append(f"`{label}` has shape {y[i].shape} and output {i} of model '{model.name}' has shape "
                     f"{format_shape(tuple(model.outputs[i].shape))}: {why}")
    warnings.warn("; ".join(lines) + ". This is almost always a mistake: give the targets the output's shape "
                  "(or change the model's output).", UserWarning, stacklevel=_user_stacklevel())


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _user_stacklevel():
    """The stacklevel of the first frame outside lstmkit (the user's fit call)."""
    level, f = 1, sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(_PACKAGE_DIR):
        level += 1
        f = f.f_back
    return level


def format_shape(shape) -> str:
    """(None, 3, 1) as Keras prints it; a 1-tuple keeps its comma."""
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def sample_weights(n, y, sample_weight, class_weight):
    """Per-sample weights (n,) float32, folding in class weights as Keras does."""
    w = np.ones((n,), np.float32)
    if sample_weight is not None:
        sw = to_numpy(sample_weight, "sample_weight").astype(np.float32)
        if sw.ndim != 1:
            raise ValueError(f"`sample_weight` must be 1-D with one weight per sample; received shape {sw.shape}.")
        check_finite([sw], "sample_weight")
        w = w * sw
    if class_weight is not None:
        if y is None or len(y) != 1:
            raise ValueError("`class_weight` is only supported for models with a single output.")
        labels = y[0]
        if labels.ndim > 1 and labels.shape[-1] > 1:
            cls = np.argmax(labels, axis=-1)
        else:
            cls = np.round(labels.reshape(labels.shape[0], -1)[:, 0]).astype(np.int64)
        if cls.ndim > 1:
            raise ValueError("`class_weight` is not supported for sequence targets; use `sample_weight`.")
        cw = np.ones_like(w)
        for c, weight in _checked_class_weight(class_weight).items():
            cw[cls == c] = weight
        w = w * cw
    return w


def _checked_class_weight(class_weight):
    """`class_weight` as {int class index: float weight}; a clear error for anything else."""
    if not isinstance(class_weight, dict):
        raise ValueError(f"`class_weight` must be a dict mapping class indices to weights, e.g. {{0: 1.0, 1: 5.0}}; "
                         f"received {type(class_weight).__name__} {class_weight!r}.")
    out = {}
    for c, weight in class_weight.items():
        key = c
        if isinstance(c, str) and c.strip().lstrip("-").isdigit():
            key = int(c)  # JSON keys are strings: "0" is class 0
        elif isinstance(c, (float, np.floating)) and float(c).is_integer():
            key = int(c)
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)) or key < 0:
            raise ValueError(f"`class_weight` keys must be class indices (integers >= 0); received the key {c!r} "
                             f"({type(c).__name__}).")
        if isinstance(weight, bool) or not isinstance(weight, (int, float, np.integer, np.floating)) \
                or not np.isfinite(weight):
            raise ValueError(f"`class_weight` values must be finite numbers; received {weight!r} for class {c!r}.")
        out[int(key)] = float(weight)
    return out


def split_validation(arrays_list, validation_split, n):
    """Keras's validation_split: the last fraction of the samples, taken before shuffling."""
    split_at = _validation_split_at(validation_split, n)
    train, val = [], []
    for arrays in arrays_list:
        if arrays is None:
            train.append(None)
            val.append(None)
        elif isinstance(arrays, np.ndarray):
            train.append(arrays[:split_at])
            val.append(arrays[split_at:])
        else:
            train.append([a[:split_at] for a in arrays])
            val.append([a[split_at:] for a in arrays])
    return train, val


class ArrayData:
    """fit/evaluate data given as arrays: one array per model input and output, and weights."""

    def __init__(self, xs, ys, w):
        self.xs, self.ys, self.w = xs, ys, w
        self.n = w.shape[0]

    @property
    def batches(self):
        from lstmkit.training.engine import ARRAYS

        return ARRAYS

    def device_arrays(self):
        """What goes to the device for the compiled loop (see `engine.ArrayBatches`)."""
        return (self.xs, self.ys, self.w)

    def rows(self, idx):
        """(xs, ys, w) for the samples `idx`, on the host (the per-batch path)."""
        return [a[idx] for a in self.xs], [a[idx] for a in self.ys], self.w[idx]

    def split(self, validation_split):
        (xs, ys, w), (vxs, vys, vw) = split_validation([self.xs, self.ys, self.w], validation_split, self.n)
        return ArrayData(xs, ys, w), ArrayData(vxs, vys, vw)


class WindowData:
    """fit/evaluate data given as a `lstmkit.data.WindowedSeries`: windows cut on demand."""

    def __init__(self, windows, w):
        self.windows = windows
        self.w = w
        self.n = len(windows)
        self._compact = windows.compact()  # only the rows these windows use

    @property
    def batches(self):
        from lstmkit.training.engine import WindowBatches

        return WindowBatches(self._compact)

    def device_arrays(self):
        return (self._compact.arrays(), self.w)

    def rows(self, idx):
        x, y = self.windows[np.asarray(idx)]
        return [x], [y], self.w[idx]

    def split(self, validation_split):
        """Keras's validation_split: the last windows, in time order (the same rule as for arrays)."""
        split_at = _validation_split_at(validation_split, self.n)
        return (WindowData(self.windows.window_range(0, split_at), self.w[:split_at]),
                WindowData(self.windows.window_range(split_at, self.n), self.w[split_at:]))


def _validation_split_at(validation_split, n):
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"`validation_split` must be between 0 and 1 (exclusive); received {validation_split}.")
    split_at = int(np.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"validation_split={validation_split} with {n} samples leaves no samples for "
            f"{'training' if split_at == 0 else 'validation'}."
        )
    return split_at


def stand_ins(windows):
    """Zero-copy arrays with the shapes of all of a WindowedSeries' x and y, for shape checks."""
    zero = np.zeros((), np.float32)
    n = len(windows)
    return np.broadcast_to(zero, (n,) + windows.x_shape), np.broadcast_to(zero, (n,) + windows.y_shape)


class WindowInputs:
    """The inputs of a WindowedSeries, cut when sliced: predict reads them a chunk at a time."""

    def __init__(self, windows):
        self.windows = windows
        self.shape = (len(windows),) + windows.x_shape

    def __getitem__(self, key):
        return self.windows[key][0]


def pad_batch(xs, ys, w, bs):
    """One batch padded to `bs` rows, and its (bs,) mask of real rows (padding has weight 0 in every loss)."""
    n = w.shape[0]
    valid = np.ones((n,), np.float32)
    if n < bs:
        pad = bs - n
        padf = lambda a: np.concatenate([a, np.zeros((pad,) + a.shape[1:], a.dtype)])
        xs, ys, w, valid = [padf(a) for a in xs], [padf(a) for a in ys], padf(w), padf(valid)
    return xs, ys, w, valid
