"""``archgym benchmark``: agents x environments x seeds x budgets under Ray Tune, scored against known optima.

- :mod:`.plan`: what to run (named plans and the plan file format);
- :mod:`.run`: runs a plan as sweeps and reads them into one tidy table of scores;
- :mod:`.scores`: best reward at each budget, normalised score, simple regret, significance;
- :mod:`.hypervolume`: exact hypervolume, for the fronts of multi-objective agents;
- :mod:`.report`: the leaderboard (Markdown) and its figures.

This is the application layer: it imports the sweeps, which import the agents.
"""

from archgym.benchmark.plan import PLANS, BenchmarkPlan, BenchmarkPlanError, load_plan
from archgym.benchmark.run import run_benchmark, score_table

__all__ = ["PLANS", "BenchmarkPlan", "BenchmarkPlanError", "load_plan", "run_benchmark", "score_table"]
