"""The network half of `Forecaster`: the model it trains (a named architecture, a given compiled Model
or a build function), the shapes a given model fixes, and the window/horizon/season for the data.

`Forecaster` inherits `ModelChoice`; the methods read its settings (`model`, `window`, `horizon`,
`season`, `strategy`, `units`, `layers`, `learning_rate`, the quantile levels `_levels`).
"""

from __future__ import annotations

from lstmkit.forecasting.architectures import build_model
from lstmkit.forecasting.quantiles import check_quantile_model
from lstmkit.forecasting.series import choose_defaults

__all__ = ["ModelChoice"]


class ModelChoice:
    """_resolve (window, horizon, season) and _new_model of a `Forecaster`."""

    def _user_model_shapes(self):
        """(window, n_out, layout) read from a given Model."""
        in_shape, out_shape = tuple(self.model.input_shape), tuple(self.model.output_shape)
        if self._levels:
            if len(in_shape) != 3 or len(out_shape) != 3:
                raise ValueError(f"With quantiles a given `model` must take (batch, window, features) and return "
                                 f"(batch, horizon, {len(self._levels)}); it takes {in_shape} and returns {out_shape}.")
            check_quantile_model(self.model, out_shape[1], self._levels)
            return in_shape[1], out_shape[1], "vector"
        if len(in_shape) != 3 or len(out_shape) not in (2, 3):
            raise ValueError(f"A given `model` must take (batch, window, features) and return (batch, n_out) or "
                             f"(batch, n_out, 1); it takes {in_shape} and returns {out_shape}.")
        return in_shape[1], out_shape[1], "sequence" if len(out_shape) == 3 else "vector"

    def _resolve(self, index, values, folds=0):
        """Fix window/horizon/season for this data (keeping the ones given)."""
        from lstmkit.models import Model

        window, horizon = self.window, self.horizon
        self.layout_ = "sequence" if self.model == "encoder_decoder" else "vector"
        if isinstance(self.model, Model):
            m_window, n_out, self.layout_ = self._user_model_shapes()
            if window is not None and window != m_window:
                raise ValueError(f"`window`={window} does not match the model's input of {m_window} timesteps.")
            window = m_window
            if self.strategy == "recursive" and n_out != 1:
                raise ValueError(f"strategy='recursive' needs a model with 1 output step; it has {n_out}.")
            if self.strategy == "direct":
                if horizon is not None and horizon != n_out:
                    raise ValueError(f"`horizon`={horizon} does not match the model's {n_out} output steps.")
                horizon = n_out
        self.defaults_ = choose_defaults(index, values, window, horizon, self.season, folds, min_rows=self.min_rows)
        self.window_, self.horizon_, self.season_ = self.defaults_.window, self.defaults_.horizon, self.defaults_.season

    def _new_model(self, n_features, n_out):
        from lstmkit.models import Model

        if isinstance(self.model, str):
            return build_model(self.model, self.window_, n_features, n_out, self.units, self.layers, self.learning_rate,
                               self._levels)
        if isinstance(self.model, Model):
            model = self.model
            model.set_weights(self._initial_weights)
            opt = model.optimizer
            model.compile(optimizer=type(opt).from_config(opt.get_config()), loss=model.loss)
        else:
            model = self.model(self.window_, n_features, n_out)
            if not isinstance(model, Model) or not getattr(model, "compiled", False):
                raise ValueError(f"The build function `model` must return a compiled lstmkit Model; it returned {model!r}.")
            if self._levels:
                check_quantile_model(model, n_out, self._levels)
        in_shape = tuple(model.input_shape)
        if in_shape[1:] != (self.window_, n_features):
            raise ValueError(f"The model takes inputs of shape {in_shape}, but the windows are "
                             f"(None, {self.window_}, {n_features}).")
        return model
