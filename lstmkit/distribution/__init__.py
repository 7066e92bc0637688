"""Training on several devices or machines: Keras 3's `keras.distribution` API on JAX's runtime.

    from lstmkit import distribution
    distribution.set_distribution(distribution.DataParallel())
    model.fit(x, y, batch_size=64)   # each batch split over all devices

Several processes (one per host): call `distribution.initialize()` first in each (see its docstring).
"""

from lstmkit.distribution.distribution_lib import (
                                                   DataParallel,
                                                   DeviceMesh,
                                                   Distribution,
                                                   LayoutMap,
                                                   ModelParallel,
                                                   TensorLayout,
                                                   distribute_tensor,
                                                   distribution,
                                                   get_device_count,
                                                   initialize,
                                                   list_devices,
                                                   set_distribution,
)

__all__ = ["DataParallel", "DeviceMesh", "Distribution", "LayoutMap", "ModelParallel", "TensorLayout",
           "distribute_tensor", "distribution", "get_device_count", "initialize", "list_devices", "set_distribution"]
