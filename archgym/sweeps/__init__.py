"""Ray Tune sweeps of agents x hyper-parameters x seeds x environments (application layer).

* :mod:`.spec` - the sweep YAML, validated with file and line; :mod:`.run` - running and resuming it;
* :mod:`.searcher` - Tune's own searchers (Optuna, HyperOpt, ...) driving an environment;
* :mod:`.dataset` - the dataset a sweep leaves (run cards, evaluations, dataset card);
* :mod:`.analysis` - best-so-far curves, summaries and plots over a sweep.
"""
