"""The few neural-network pieces the policy-gradient agents need, in numpy: a tanh MLP with
hand-written backpropagation, the Adam optimiser, and a running mean/variance normaliser."""

from __future__ import annotations

import numpy as np


class MLP:
    """Fully connected network with tanh hidden layers and a linear output.

    Weights are initialised orthogonally (gain sqrt(2) for hidden layers, ``out_gain`` for the
    output layer, as in CleanRL's PPO), biases at zero. All parameters live in one flat vector
    ``flat`` (``params`` are views into it), so an optimiser updates them in one operation.
    ``forward`` keeps the activations that ``backward`` needs; ``backward(grad_out)`` returns the
    gradient as one flat vector laid out like ``flat``.
    """

    def __init__(self, sizes: list[int], rng: np.random.Generator, out_gain: float = 1.0):
        self.sizes = list(sizes)
        shapes = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            shapes += [(a, b), (b,)]
        self.flat = np.zeros(sum(int(np.prod(sh)) for sh in shapes))
        self.params: list[np.ndarray] = []
        offset = 0
        for sh in shapes:
            n = int(np.prod(sh))
            self.params.append(self.flat[offset:offset + n].reshape(sh))
            offset += n
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            gain = out_gain if i == len(sizes) - 2 else np.sqrt(2.0)
            self.params[2 * i][...] = _orthogonal(a, b, gain, rng)
        self._acts: list[np.ndarray] = []

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._acts = [x]
        n_layers = len(self.params) // 2
        for i in range(n_layers):
            W, b = self.params[2 * i], self.params[2 * i + 1]
            x = x @ W + b
            if i < n_layers - 1:
                x = np.tanh(x)
            self._acts.append(x)
        return x

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grads: list[np.ndarray] = [None] * len(self.params)  # type: ignore[list-item]
        g = grad_out
        n_layers = len(self.params) // 2
        for i in reversed(range(n_layers)):
            x_in = self._acts[i]
            grads[2 * i] = x_in.T @ g
            grads[2 * i + 1] = g.sum(0)
            if i > 0:
                g = (g @ self.params[2 * i].T) * (1.0 - x_in * x_in)  # tanh' of the layer below
        return np.concatenate([gr.ravel() for gr in grads])


def _orthogonal(n_in: int, n_out: int, gain: float, rng: np.random.Generator) -> np.ndarray:
    a = rng.standard_normal((max(n_in, n_out), min(n_in, n_out)))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    w = q if n_in >= n_out else q.T
    return gain * w[:n_in, :n_out]


class Adam:
    """Adam over one flat parameter vector (updated in place), with global-norm gradient clipping."""

    def __init__(self, flat: np.ndarray, lr: float, max_grad_norm: float = 0.5,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-5):
        self.flat = flat
        self.lr = lr
        self.max_grad_norm = max_grad_norm
        self.b1, self.b2 = betas
        self.eps = eps
        self.m = np.zeros_like(flat)
        self.v = np.zeros_like(flat)
        self.t = 0

    def step(self, grad: np.ndarray) -> None:
        norm = float(np.sqrt(grad @ grad))
        if self.max_grad_norm > 0 and norm > self.max_grad_norm:
            grad = grad * (self.max_grad_norm / norm)
        self.t += 1
        self.m = self.b1 * self.m + (1.0 - self.b1) * grad
        self.v = self.b2 * self.v + (1.0 - self.b2) * grad * grad
        m_hat = self.m / (1.0 - self.b1**self.t)
        v_hat = self.v / (1.0 - self.b2**self.t)
        self.flat -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class RunningNorm:
    """Running mean and variance (Chan et al.'s parallel update) for normalising inputs or returns."""

    def __init__(self, shape: tuple[int, ...] = ()):
        self.mean = np.zeros(shape)
        self.var = np.ones(shape)
        self.count = 1e-4

    def update(self, x: np.ndarray) -> None:
        x = np.asarray(x, dtype=float)
        b_mean, b_var, b_n = x.mean(0), x.var(0), x.shape[0]
        delta = b_mean - self.mean
        tot = self.count + b_n
        self.mean = self.mean + delta * b_n / tot
        self.var = (self.var * self.count + b_var * b_n + delta**2 * self.count * b_n / tot) / tot
        self.count = tot

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(self.var + 1e-8)


__all__ = ["MLP", "Adam", "RunningNorm"]
