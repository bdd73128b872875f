"""PPO and multi-agent PPO: the numpy gradients, the factored policy, one- and multi-step learning."""

import gymnasium as gym
import numpy as np
import pytest
from scipy.optimize import approx_fprime

import archgym  # noqa: F401  (registers the environments)
from archgym.agents import make_agent
from archgym.agents.marl import MultiAgentPPO, parameter_groups
from archgym.agents.numpy_nn import MLP
from archgym.agents.ppo import PPO, FactoredPolicy
from archgym.core.spaces import Categorical, DesignSpace, Integer

SPACE = DesignSpace([Integer("a", 0, 6), Categorical("b", ("x", "y", "z")), Integer("c", 0, 3)])


def _policy(obs_dim=3, ent_coef=0.05):
    return FactoredPolicy([7, 3, 4], obs_dim, np.random.default_rng(0), hidden=8, learning_rate=0.01, clip_eps=0.2,
                          ent_coef=ent_coef, epochs=1, n_minibatches=1, max_grad_norm=0.5)


def test_ppo_loss_gradient_matches_finite_differences():
    """Clipped and unclipped samples, positive and negative advantages, plus the entropy term."""
    pol = _policy()
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(6, 14))
    rows = np.stack([rng.integers(0, n, 6) for n in (7, 3, 4)], axis=1)
    adv = np.array([1.0, -1.0, 0.5, -2.0, 1.5, -0.3])
    lsm = pol._log_softmax(logits)
    logp_old = pol._logp(lsm, rows) + np.array([0.0, 0.05, -0.6, 0.6, 0.1, -0.05])  # some ratios outside 1 +- 0.2
    _, grad, ratio = pol.actor_loss(logits, rows, logp_old, adv)
    assert ((ratio < 0.8) | (ratio > 1.2)).any() and ((ratio > 0.8) & (ratio < 1.2)).any()
    f = lambda x: pol.actor_loss(x.reshape(6, 14), rows, logp_old, adv)[0]  # noqa: E731
    np.testing.assert_allclose(grad.ravel(), approx_fprime(logits.ravel(), f, 1e-7), atol=1e-5)


def test_mlp_backward_matches_finite_differences():
    rng = np.random.default_rng(2)
    net = MLP([3, 5, 4, 2], rng)
    x, w = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))

    def loss(flat):
        net.flat[:] = flat
        return float((net.forward(x) * w).sum())

    flat0 = net.flat.copy()
    numeric = approx_fprime(flat0, loss, 1e-7)
    net.flat[:] = flat0
    net.forward(x)
    np.testing.assert_allclose(net.backward(w), numeric, rtol=1e-5, atol=1e-6)


def test_every_value_of_every_parameter_is_reachable():
    """Unlike ArchGym's RL action mapping (three values per parameter), each categorical covers all choices."""
    ppo = PPO(DesignSpace([Integer("wide", 0, 127)]), seed=0)
    seen = {d["wide"] for _ in range(40) for d in ppo.ask(32)}
    assert len(seen) > 120


def test_one_step_policy_concentrates_on_the_best_value():
    ppo = PPO(SPACE, seed=3, batch_size=16)
    reward = lambda d: -abs(d["a"] - 5) - (d["b"] != "y") - abs(d["c"] - 2)  # noqa: E731
    for _ in range(40):
        designs = ppo.ask(16)
        ppo.tell(designs, [reward(d) for d in designs])
    lsm = ppo.learners[0]._log_softmax(ppo.learners[0].actor.forward(np.ones((1, 1))))[0]
    probs = np.exp(lsm)
    assert probs[5] > 0.5 and probs[7 + 1] > 0.5 and probs[10 + 2] > 0.5
    assert ppo.best_reward == 0


def test_known_designs_are_free_samples_not_proposals():
    ppo = PPO(DesignSpace([Integer("a", 0, 2)]), seed=0, batch_size=4)
    first = ppo.ask(3)
    assert sorted(d["a"] for d in first) == [0, 1, 2]
    ppo.tell(first, [1.0, 2.0, 3.0])
    assert ppo.n_updates == 0
    again = ppo.ask(1)  # every design is known: its samples teach the policy without a simulator call
    assert ppo.n_updates >= 1 and again[0]["a"] in (0, 1, 2)


@pytest.mark.parametrize("name", ["ppo", "marl"])
def test_learns_in_a_multi_step_gymnasium_loop(name):
    """8-step episodes of Synthetic-v0 driven by ``learn``: the mean episode return of the last three
    rollouts beats that of the first three by at least 30 % (measured: about 50 %)."""
    env = gym.make("archgym/Synthetic-v0", episode_length=8, instance=3)
    agent = make_agent(name, env.unwrapped.design_space, seed=0, learning_rate=0.003, batch_size=64,
                       **({"n_agents": 3} if name == "marl" else {}))
    hist = agent.learn(env, 3200)
    returns = [h["mean_return"] for h in hist]
    assert len(hist) == 50 and all(h["episodes"] == 8 for h in hist)
    first, last = np.mean(returns[:3]), np.mean(returns[-3:])
    assert last > 0.7 * first if first < 0 else last > first, returns
    assert agent.n_told == 3200 and agent.best_design is not None


def test_learn_is_deterministic():
    def go():
        env = gym.make("archgym/Synthetic-v0", episode_length=4)
        agent = make_agent("ppo", env.unwrapped.design_space, seed=7, batch_size=32, learning_rate=0.003)
        return [h["mean_return"] for h in agent.learn(env, 256)], agent.best_design

    assert go() == go()


def test_flat_multidiscrete_env_works_too():
    env = gym.make("archgym/Synthetic-v0", episode_length=2, flat_action=True)
    agent = make_agent("ppo", env.unwrapped.design_space, seed=0, batch_size=16)
    hist = agent.learn(env, 64)
    assert hist[-1]["steps"] == 64


def test_marl_groups():
    space = DesignSpace([Integer(n, 0, 3) for n in "pqrst"])
    assert parameter_groups(space) == [[0], [1], [2], [3], [4]]
    assert parameter_groups(space, n_agents=2) == [[0, 1, 2], [3, 4]]
    assert parameter_groups(space, groups="t,p; q ;r,s") == [[4, 0], [1], [2, 3]]
    agent = MultiAgentPPO(space, seed=0, groups="t,p;q;r,s")
    agent.ask(2)
    assert [lr.sizes for lr in agent.learners] == [[4, 4], [4], [4, 4]]
    assert agent.hyperparameters()["groups"] == "t,p;q;r,s"


def test_marl_agents_learn_their_own_parameters_from_the_shared_reward():
    marl = MultiAgentPPO(SPACE, seed=1, batch_size=16)
    reward = lambda d: -abs(d["a"] - 1) - (d["b"] != "z") - abs(d["c"] - 3)  # noqa: E731
    for _ in range(40):
        designs = marl.ask(16)
        marl.tell(designs, [reward(d) for d in designs])
    best = [int(np.argmax(lr.actor.forward(np.ones((1, 1)))[0])) for lr in marl.learners]
    assert best == [1, 2, 3]
