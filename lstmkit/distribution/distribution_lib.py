"""Keras 3's `keras.distribution` API on JAX's own runtime.

The names and meanings follow Keras 3 (`keras/src/distribution/distribution_lib.py`):
a `DeviceMesh` names the axes of a grid of devices, a `TensorLayout` says which mesh axis each
dimension of an array is split over, a `LayoutMap` maps variable paths (regular expressions) to
layouts, and a `Distribution` (`DataParallel`, `ModelParallel`) says how data and variables are laid
out. `set_distribution(d)` or `with d.scope():` makes one current; `fit`, `evaluate`, `predict` and
`train_on_batch` then run their compiled programs over its mesh (see `placement.py` for how).

This module imports nothing of lstmkit's but its random streams: the engine imports it.
"""

from __future__ import annotations

import collections
import contextlib
import math
import re
import warnings

import jax
import numpy as np

from lstmkit.distribution.cluster import (  # noqa: F401
    _to_device,
    get_device_count,
    initialize,
    list_devices,
)

DEFAULT_BATCH_DIM_NAME = "batch"

_current = {"distribution": None}  # the current distribution (one per process)


# ------------------------------------------------------------------------------------ meshes and layouts
class DeviceMesh:
    """A grid of devices with named axes, e.g. `DeviceMesh((8,), ["batch"])` or
    `DeviceMesh((2, 4), ["batch", "model"])` (JAX's `jax.sharding.Mesh`).

    devices: a list of devices ("cpu:0" strings or `jax.Device`s); all of `list_devices()` by default.
    """

    def __init__(self, shape, axis_names, devices=None):
        if not shape or not axis_names:
            raise ValueError(f"Shape and axis_names cannot be empty. Received: shape={shape}, axis_names={axis_names}")
        if len(shape) != len(axis_names):
            raise ValueError(f"Shape and axis_names should have same size. Received: shape={shape}, "
                             f"axis_names={axis_names}")
        if devices is None:
            devices = list_devices()
        devices = np.array(devices, dtype=object)
        if math.prod(shape) != devices.size:
            raise ValueError(f"Shape does not match the number of devices. Received: shape={shape}; "
                             f"devices.shape={devices.shape}")
        self._shape = tuple(shape)
        self._axis_names = tuple(axis_names)
        self._devices = np.reshape(devices, shape)
        self._mesh = None

    @property
    def shape(self):
        return self._shape

    @property
    def axis_names(self):
        return self._axis_names

    @property
    def devices(self):
        return self._devices

    @property
    def backend_mesh(self):
        """The `jax.sharding.Mesh`."""
        if self._mesh is None:
            flat = [_to_device(d) for d in self._devices.ravel()]
            self._mesh = jax.sharding.Mesh(np.array(flat, dtype=object).reshape(self._shape), self._axis_names)
        return self._mesh

    def __repr__(self):
        return f"<DeviceMesh shape={self.shape}, axis_names={list(self.axis_names)}>"


class TensorLayout:
    """Which mesh axis each dimension of an array is split over (None: not split), e.g.
    `TensorLayout((None, "model"))` (JAX's `NamedSharding`)."""

    def __init__(self, axes, device_mesh=None):
        self._axes = tuple(axes)
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def axes(self):
        return self._axes

    @property
    def device_mesh(self):
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh):
        if self._device_mesh is not None:
            raise ValueError(f"Cannot override device mesh value. Existing value is {self._device_mesh}")
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def backend_layout(self):
        """The `jax.sharding.NamedSharding`."""
        if self._device_mesh is None:
            raise ValueError("Cannot create sharding when device mesh is not set for TensorLayout.")
        return jax.sharding.NamedSharding(self._device_mesh.backend_mesh, jax.sharding.PartitionSpec(*self._axes))

    def _validate_axes(self):
        if self._device_mesh is not None:
            unknown = set(self._axes) - {None} - set(self._device_mesh.axis_names)
            if unknown:
                raise ValueError(f"Invalid axis names for Layout. Valid axis names: "
                                 f"{set(self._device_mesh.axis_names)}, Got {unknown}")

    def __repr__(self):
        return f"<TensorLayout axes={self.axes}, device_mesh={self.device_mesh}>"


class LayoutMap(collections.abc.MutableMapping):
    """Variable paths (regular expressions, matched in full) -> `TensorLayout`.

    `layout_map[".*dense.*kernel"] = (None, "model")`; a tuple is turned into a `TensorLayout` on
    this map's mesh. Looking a path up returns the exact key's layout, else the one pattern that
    matches it (a `ValueError` when several do), else None. The paths are `model.weights[i].path`.
    """

    def __init__(self, device_mesh):
        self._layout_map = collections.OrderedDict()
        self._device_mesh = device_mesh

    def __getitem__(self, key):
        if key in self._layout_map:
            return self._layout_map[key]
        matching = [p for p in self._layout_map if re.fullmatch(p, key)]
        if len(matching) > 1:
            raise ValueError(f"Path '{key}' matches multiple layout specification keys: {matching}. Please make sure "
                             "each tensor/variable path only matches at most one layout specification key in the "
                             "LayoutMap.")
        return self._layout_map[matching[0]] if matching else None

    def __setitem__(self, key, layout):
        if key in self._layout_map:
            raise ValueError(f"{key} already exist in the LayoutMap with value {self._layout_map[key]}. Please make "
                             "sure to not use duplicated keys.")
        if isinstance(layout, tuple):
            layout = TensorLayout(axes=layout, device_mesh=None)
        if not isinstance(layout, TensorLayout):
            raise ValueError(f"{layout} should be a TensorLayout type, got {type(layout)}")
        if layout.device_mesh is None and self._device_mesh is not None:
            layout.device_mesh = self._device_mesh
        self._layout_map[key] = layout

    def __delitem__(self, key):
        return self._layout_map.pop(key)

    def __len__(self):
        return len(self._layout_map)

    def __iter__(self):
        return iter(self._layout_map)

    @property
    def device_mesh(self):
        return self._device_mesh


# ------------------------------------------------------------------------------------ distributions
class Distribution:
    """How data and variables are laid out over a `DeviceMesh` (the base of `DataParallel` and
    `ModelParallel`). `batch_dim_name`: the mesh axis each batch is split over."""

    def __init__(self, device_mesh, batch_dim_name=None, auto_shard_dataset=True):
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self._num_processes = jax.process_count()
        self._process_id = jax.process_index()
        self._is_multi_process = self._num_processes > 1
        self.auto_shard_dataset = auto_shard_dataset

    @property
    def num_processes(self):
        return self._num_processes

    @property
    def num_model_replicas(self):
        raise NotImplementedError

    @property
    def data_shard_id(self):
        """The data shard of this process (its place among the model replicas)."""
        replicas = self.num_model_replicas
        if replicas >= self.num_processes:
            return self._process_id
        return self._process_id // (self.num_processes // replicas)

    @property
    def device_mesh(self):
        return self._device_mesh

    @property
    def batch_dim_name(self):
        return self._batch_dim_name

    @property
    def auto_shard_dataset(self):
        return self._auto_shard_dataset

    @auto_shard_dataset.setter
    def auto_shard_dataset(self, value):
        if value not in (True, False):
            raise ValueError(f"`auto_shard_dataset` must be True or False; received {value!r}.")
        self._auto_shard_dataset = value

    def get_data_layout(self, data_shape):
        """The layout of a batch of `data_shape`: split on its first (batch) dimension."""
        spec = [None] * len(data_shape)
        spec[0] = self.batch_dim_name
        return TensorLayout(spec, self.device_mesh)

    def get_variable_layout(self, variable):
        raise NotImplementedError

    def get_tensor_layout(self, path):
        raise NotImplementedError

    def distribute_dataset(self, dataset):
        """The data this process feeds, returned as it is: with `auto_shard_dataset=True` every process
        passes the same arrays and each device takes its part of every batch inside the compiled program;
        with False each process passes its own shard and the training methods gather the shards
        (see `lstmkit.distribution.shards`)."""
        return dataset

    @contextlib.contextmanager
    def scope(self):
        """Make this distribution the current one inside a `with` block."""
        previous = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(previous)

    def _program_key(self):
        """What of this distribution a compiled program depends on (its mesh and layouts)."""
        mesh = self._device_mesh
        devices = tuple(str(d) for d in mesh.devices.ravel())
        return (type(self).__name__, mesh.shape, mesh.axis_names, devices, self._batch_dim_name)

    def __repr__(self):
        return f"<{type(self).__name__} device_mesh={self.device_mesh}>"


class DataParallel(Distribution):
    """Every device holds all the weights; each batch is split over the devices, and the gradients are
    summed over them by XLA's collectives inside the compiled epoch.

    Give a one-axis `device_mesh`, or a list of `devices`, or neither (all of `list_devices()`)."""

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh is not None:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(f"Expect `mesh` to be an instance of `DeviceMesh`. Received: mesh={device_mesh} "
                                 f"(of type {type(device_mesh)})")
            if device_mesh.devices.ndim != 1:
                warnings.warn(f"Expect the input mesh to be 1D, but received mesh.devices.ndim="
                              f"{device_mesh.devices.ndim}. The first axis will be used for data-parallel sharding.",
                              stacklevel=2)
            batch_dim = device_mesh.axis_names[0]
        else:
            devices = np.array(devices if devices else list_devices(), dtype=object)
            device_mesh = DeviceMesh(devices.shape, [DEFAULT_BATCH_DIM_NAME], devices)
            batch_dim = DEFAULT_BATCH_DIM_NAME
        super().__init__(device_mesh, batch_dim, auto_shard_dataset)

    @property
    def num_model_replicas(self):
        return self.device_mesh.devices.size

    def get_variable_layout(self, variable):
        if getattr(variable, "_layout", None) is not None:
            return variable._layout
        return TensorLayout([None] * len(variable.shape), self.device_mesh)

    def get_tensor_layout(self, path):
        return None


class ModelParallel(Distribution):
    """Weights split over the devices by a `LayoutMap` (for weights too large for one device), batches
    split over the mesh axis `batch_dim_name` (the mesh's first axis by default). Variables no pattern
    matches are replicated."""

    def __init__(self, *, layout_map=None, batch_dim_name=None, auto_shard_dataset=True, **kwargs):
        kwargs.pop("device_mesh", None)  # Keras 2.x's argument: the layout map's mesh is the one used
        if kwargs:
            raise TypeError(f"ModelParallel() got unexpected keyword arguments: {sorted(kwargs)}")
        if layout_map is None:
            raise ValueError("You must specify a layout_map argument.")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(f"Argument `layout_map` must be a `LayoutMap` instance. Received: layout_map={layout_map}")
        mesh = layout_map.device_mesh
        batch_dim_name = batch_dim_name or mesh.axis_names[0]
        if batch_dim_name not in mesh.axis_names:
            raise ValueError(f"`batch_dim_name` must be one of the mesh's axis names {list(mesh.axis_names)}; "
                             f"received {batch_dim_name!r}.")
        super().__init__(mesh, batch_dim_name, auto_shard_dataset)
        self._layout_map = layout_map
        if (self._is_multi_process and self.num_processes > self.num_model_replicas
                and self.num_processes % self.num_model_replicas != 0):
            raise ValueError("If `num_processes` is greater than `num_model_replicas`, `num_processes` must be "
                             f"divisible by `num_model_replicas`. Got num_processes={self.num_processes}, "
                             f"num_model_replicas={self.num_model_replicas}.")

    @property
    def num_model_replicas(self):
        return self.device_mesh.shape[self.device_mesh.axis_names.index(self.batch_dim_name)]

    def get_variable_layout(self, variable):
        if getattr(variable, "_layout", None) is not None:
            return variable._layout
        layout = self._layout_map[variable.path]
        if layout is not None:
            return layout
        return TensorLayout([None] * len(variable.shape), self.device_mesh)

    def get_tensor_layout(self, path):
        return self._layout_map[path]

    def _program_key(self):
        layouts = tuple((k, v.axes) for k, v in self._layout_map.items())
        return super()._program_key() + (layouts,)


def distribute_tensor(tensor, layout):
    """`tensor` laid out by `layout` (a `TensorLayout` or a `jax.sharding.Sharding`): inside a jitted
    function a sharding constraint, outside it the array placed on the layout's devices."""
    sharding = layout.backend_layout if isinstance(layout, TensorLayout) else layout
    if not isinstance(sharding, jax.sharding.Sharding):
        raise ValueError(f"`layout` must be a TensorLayout or a jax.sharding.Sharding; received {layout!r}.")
    if isinstance(tensor, jax.core.Tracer):
        return jax.lax.with_sharding_constraint(tensor, sharding)
    return jax.device_put(tensor, sharding)


# ------------------------------------------------------------------------------------ the current one
def distribution():
    """The current distribution (None: everything runs on one device)."""
    return _current["distribution"]


def set_distribution(value):
    """Make `value` (a `Distribution`, or None) the current distribution."""
    if value is not None and not isinstance(value, Distribution):
        raise ValueError(f"`set_distribution` expects a `Distribution` (DataParallel, ModelParallel) or None; "
                         f"received {value!r} (of type {type(value).__name__}).")
    _current["distribution"] = value
