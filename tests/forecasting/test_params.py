"""scikit-learn's estimator protocol on Forecaster: get_params(deep), set_params, sklearn.base.clone."""

import pytest

from lstmkit.forecasting import Forecaster
from lstmkit.forecasting._params import ParamsMixin

# Until forecaster.py inherits the mixin (one line), test it on a subclass that does.
F = Forecaster if issubclass(Forecaster, ParamsMixin) else type("Forecaster", (ParamsMixin, Forecaster), {})


def test_get_params_lists_the_constructor_arguments():
    f = F("gru", window=6, horizon=3, validation_split=0, early_stopping=False)
    params = f.get_params(deep=True)
    assert params == f.get_params()
    assert params["model"] == "gru" and params["window"] == 6 and params["horizon"] == 3
    assert params["validation_split"] == 0 and type(params["validation_split"]) is int  # as given
    assert set(params) >= {"model", "window", "horizon", "units", "layers", "epochs", "batch_size", "scaler",
                           "relative", "strategy", "early_stopping", "patience", "validation_split",
                           "learning_rate", "season", "seed", "verbose"}
    f.epochs = 7  # an attribute changed afterwards is what get_params reports
    assert f.get_params()["epochs"] == 7


def test_sklearn_clone():
    base = pytest.importorskip("sklearn.base")
    f = F("lstm", window=6, horizon=3, units=4, validation_split=0, early_stopping=False, seed=3)
    g = base.clone(f)
    assert type(g) is type(f) and g is not f and g.get_params() == f.get_params() and g.model_ is None
    assert base.clone(F()).get_params() == F().get_params()


def test_set_params_validates_and_unfits():
    f = F(units=4)
    f.model_ = "fitted"  # stands in for a fitted model
    assert f.set_params(units=8, horizon=2) is f
    assert (f.units, f.horizon, f.model_) == (8, 2, None)
    with pytest.raises(ValueError, match="Invalid parameter 'unit' for estimator Forecaster. Valid parameters are"):
        f.set_params(unit=3)
    with pytest.raises(ValueError, match="`validation_split` must be in \\[0, 1\\); received 2"):
        f.set_params(validation_split=2)
    assert f.validation_split == 0.15  # a refused change leaves the settings as they were
