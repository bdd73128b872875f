"""A Gaussian-process regressor for Bayesian optimisation, in numpy/scipy.

Matérn-5/2 kernel with one length-scale per feature (ARD), a signal variance and a noise variance.
The hyper-parameters are the maximum a posteriori estimate under weak log-normal priors (they keep
length-scales sensible with few observations), found with L-BFGS-B on the analytic gradient of
the log marginal likelihood. Fitting the hyper-parameters costs O(m^3) per step, so it runs on at
most ``max_fit_points`` observations (the best half plus a random half of that many); the posterior
then conditions on every observation (one O(n^3) Cholesky factorisation), so prediction uses all
the data while staying practical at thousands of observations.

Targets are standardised internally; ``predict`` returns the latent function's mean and standard
deviation in standardised units together with ``v = L^-1 k(X, x*)``, from which the posterior
covariance between candidates follows (used by BO's batch suggestions).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import cho_solve, cholesky, solve_triangular
from scipy.optimize import minimize

SQRT5 = math.sqrt(5.0)

#: bounds of the log hyper-parameters: length-scales (features live in [0, 1]), signal and noise variance
LOG_LENGTHSCALE_BOUNDS = (math.log(0.02), math.log(50.0))
LOG_SIGNAL_BOUNDS = (math.log(0.05), math.log(20.0))
LOG_NOISE_BOUNDS = (math.log(1e-6), math.log(0.5))
#: log-normal priors (mean, sd) on length-scale, signal and noise variance
PRIOR_LENGTHSCALE = (math.log(0.5), 1.0)
PRIOR_SIGNAL = (0.0, 1.0)
PRIOR_NOISE = (math.log(1e-4), 2.0)


def _sqdist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :]
    d -= 2.0 * a @ b.T
    return np.maximum(d, 0.0, out=d)


def matern52(r: np.ndarray) -> np.ndarray:
    """Unit-variance Matérn-5/2 correlation at scaled distance ``r`` (in place where it can: the
    m x n matrices between candidates and observations are the largest arrays BO builds)."""
    s = SQRT5 * r
    out = 1.0 + s
    sq = s * s
    sq /= 3.0
    out += sq
    np.negative(s, out=s)
    np.exp(s, out=s)
    out *= s
    return out


class GaussianProcess:
    """GP regression with a Matérn-5/2 ARD kernel; ``fit`` then ``predict``."""

    def __init__(self, max_fit_points: int = 256, fit_iterations: int = 50):
        self.max_fit_points = int(max_fit_points)
        self.fit_iterations = int(fit_iterations)
        self.theta: np.ndarray | None = None  # log length-scales..., log signal var, log noise var
        self._n_at_restart = 0  # observations when the default start was last tried

    # -- hyper-parameters -------------------------------------------------------------------
    def _split(self, theta):
        return np.exp(theta[:-2]), math.exp(theta[-2]), math.exp(theta[-1])

    def _default_theta(self, dim: int) -> np.ndarray:
        return np.concatenate([np.full(dim, PRIOR_LENGTHSCALE[0]), [0.0, math.log(1e-3)]])

    def _neg_log_posterior(self, theta: np.ndarray, X: np.ndarray, y: np.ndarray):
        """Negative log marginal likelihood plus negative log prior, and its gradient."""
        ell, s2, noise = self._split(theta)
        n = X.shape[0]
        Z = X / ell
        r = np.sqrt(_sqdist(Z, Z))
        E = np.exp(-SQRT5 * r)
        K = s2 * (1.0 + SQRT5 * r + 5.0 / 3.0 * r * r) * E
        Ky = K + noise * np.eye(n)
        try:
            L = cholesky(Ky, lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            return 1e25, np.zeros_like(theta)
        alpha = cho_solve((L, True), y, check_finite=False)
        nll = 0.5 * y @ alpha + np.log(np.diag(L)).sum() + 0.5 * n * math.log(2 * math.pi)
        W = np.outer(alpha, alpha) - cho_solve((L, True), np.eye(n), check_finite=False)
        # d K / d log(ell_d) = s2 * 5/3 * (1 + sqrt5 r) exp(-sqrt5 r) * (z_id - z_jd)^2
        M = W * (s2 * 5.0 / 3.0 * (1.0 + SQRT5 * r) * E)
        rs = M.sum(1)
        g_ell = 2.0 * ((Z * Z).T @ rs - (Z * (M @ Z)).sum(0))
        g_s2 = (W * K).sum()
        g_noise = noise * np.trace(W)
        grad = -0.5 * np.concatenate([g_ell, [g_s2, g_noise]])
        # log-normal priors: + (theta - mu)^2 / (2 sd^2)
        mu = np.concatenate([np.full(len(ell), PRIOR_LENGTHSCALE[0]), [PRIOR_SIGNAL[0], PRIOR_NOISE[0]]])
        sd = np.concatenate([np.full(len(ell), PRIOR_LENGTHSCALE[1]), [PRIOR_SIGNAL[1], PRIOR_NOISE[1]]])
        nll += (((theta - mu) / sd) ** 2).sum() / 2
        grad += (theta - mu) / sd**2
        return nll, grad

    def _fit_subset(self, X: np.ndarray, y: np.ndarray, rng: np.random.Generator):
        n = X.shape[0]
        if n <= self.max_fit_points:
            return X, y
        half = self.max_fit_points // 2
        best = np.argsort(-y, kind="stable")[:half]
        rest = np.setdiff1d(np.arange(n), best)
        pick = np.concatenate([best, rng.choice(rest, self.max_fit_points - half, replace=False)])
        return X[pick], y[pick]

    # -- fit / predict ----------------------------------------------------------------------
    def fit(self, X: np.ndarray, y: np.ndarray, rng: np.random.Generator, optimize: bool = True) -> GaussianProcess:
        """Condition on observations ``X`` (n, d) and ``y`` (n,); re-estimate the hyper-parameters
        (warm-started from the previous estimate) when ``optimize``."""
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        self.y_mean = float(y.mean())
        self.y_std = float(y.std()) or 1.0
        ys = (y - self.y_mean) / self.y_std
        dim = X.shape[1]
        if self.theta is None or len(self.theta) != dim + 2:
            self.theta = self._default_theta(dim)
        if optimize and X.shape[0] >= 2:
            Xf, yf = self._fit_subset(X, ys, rng)
            bounds = [LOG_LENGTHSCALE_BOUNDS] * dim + [LOG_SIGNAL_BOUNDS, LOG_NOISE_BOUNDS]
            # warm start from the last estimate; also from the default whenever the data has doubled
            starts = [self.theta]
            if X.shape[0] >= 2 * self._n_at_restart:
                starts.append(self._default_theta(dim))
                self._n_at_restart = X.shape[0]
            best = None
            for start in starts:
                res = minimize(self._neg_log_posterior, start, args=(Xf, yf), jac=True, method="L-BFGS-B",
                               bounds=bounds, options={"maxiter": self.fit_iterations})
                if best is None or res.fun < best.fun:
                    best = res
            self.theta = np.asarray(best.x)
        self.ell, self.s2, self.noise = self._split(self.theta)
        self.X = X
        self.Z = X / self.ell
        K = self.s2 * matern52(np.sqrt(_sqdist(self.Z, self.Z))) + (self.noise + 1e-10) * np.eye(len(X))
        self.L = cholesky(K, lower=True, check_finite=False)
        self.alpha = cho_solve((self.L, True), ys, check_finite=False)
        self.y_best = float(ys.max())
        return self

    def kernel(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        """Prior covariance between feature rows ``A`` and ``B``."""
        return self.s2 * matern52(np.sqrt(_sqdist(A / self.ell, B / self.ell)))

    def predict(self, Xs: np.ndarray):
        """Latent mean and standard deviation (standardised units) at ``Xs``, and ``v = L^-1 k(X, Xs)``."""
        Ks = self.s2 * matern52(np.sqrt(_sqdist(np.asarray(Xs, dtype=float) / self.ell, self.Z)))
        mu = Ks @ self.alpha
        v = solve_triangular(self.L, Ks.T, lower=True, check_finite=False)
        var = np.maximum(self.s2 - (v * v).sum(0), 1e-12)
        return mu, np.sqrt(var), v

    def standardise(self, y):
        return (np.asarray(y, dtype=float) - self.y_mean) / self.y_std


__all__ = ["GaussianProcess", "matern52"]
