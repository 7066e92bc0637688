"""`Sequence` / `PyDataset`: data served one batch per index (Keras's `keras.utils.Sequence` and `PyDataset`)."""

from __future__ import annotations

import warnings


class Sequence:
    """Keras's base class for data served by index: implement `__getitem__(index)` (one batch) and `__len__`.

    `on_epoch_end()` (e.g. to reshuffle) is called after each epoch. `keras.utils.PyDataset` is the same
    idea in Keras 3; both names are this class here. Batches are read in this process, one after another
    (asking for `workers` or `use_multiprocessing` says so in a warning).
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers, self.use_multiprocessing, self.max_queue_size = workers, use_multiprocessing, max_queue_size
        if workers not in (0, 1, None) or use_multiprocessing:
            warnings.warn(f"{type(self).__name__}(workers={workers}, use_multiprocessing={use_multiprocessing}): "
                          "lstmkit reads the batches of a Sequence in this process, one after another.",
                          stacklevel=2)

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index).")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__().")

    @property
    def num_batches(self):
        return len(self)

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass


PyDataset = Sequence
