"""The sweep's progress bar counts a trial as finished once it completes (its last bar read trials=3/4)."""

from types import SimpleNamespace

from archgym.sweeps.run import _progress_callback


def test_last_bar_counts_every_finished_trial():
    cb = _progress_callback(total_evaluations=40, enabled=True)
    trials = [SimpleNamespace(trial_id=f"t{i}", status="RUNNING") for i in range(4)]
    for i, t in enumerate(trials):
        cb.on_trial_result(i, trials, t, {"evaluations": 10})
        cb.on_trial_complete(i, trials, t)  # Tune calls this while the status still reads RUNNING
        t.status = "TERMINATED" if i < 3 else "ERROR"
        if i < 3:
            assert cb.bar.postfix == f"trials={i + 1}/4"
    assert cb.bar.postfix == "trials=4/4"
    assert cb.bar.n == 40
    cb.on_experiment_end(trials)
    assert cb.bar.postfix == "trials=4/4"
