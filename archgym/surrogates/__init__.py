"""Surrogate cost models trained from archgym datasets (application layer).

* :mod:`.data` - loading a dataset into a training table; :mod:`.features` - design -> features;
* :mod:`.models` - the regressors (scikit-learn, XGBoost) and their hyper-parameter grids;
* :mod:`.surrogate` - the fitted model, its file format (save/load) and the environment backend;
* :mod:`.train` - split, fit, held-out report; :mod:`.metrics` - RMSE, MAPE, R2, Kendall tau, top-k;
* :mod:`.speed` - surrogate against simulator, timed in the same run; :mod:`.curves` - learning curves;
* :mod:`.recheck` - search on the surrogate, re-check the best designs on the simulator; :mod:`.plots`.
"""

from archgym.surrogates.surrogate import (
    Surrogate,
    SurrogateError,
    SurrogateMismatch,
    TargetTransform,
    jsonable,
    load,
    load_backend,
)
from archgym.surrogates.train import TrainResult, environment_for, evaluate, fit, train

__all__ = [
    "Surrogate", "SurrogateError", "SurrogateMismatch", "TargetTransform", "TrainResult", "environment_for",
    "evaluate", "fit", "jsonable", "load", "load_backend", "train",
]
