"""The few distribution functions the metrics need, in pure Python, so that no metric needs scipy.

Everything reduces to the regularized incomplete beta function I_x(a, b), evaluated with the
continued fraction of Numerical Recipes (section 6.4) by the modified Lentz method, which
converges to double precision in well under 200 terms for the arguments used here.
The canonical copy lives in ``metrics/_shared/``; metric folders hold symlinks to it.
"""

from __future__ import annotations

import math

_TINY = 1e-300
_EPS = 1e-16
_MAX_TERMS = 10_000


def _beta_fraction(a: float, b: float, x: float) -> float:
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    result = d
    for m in range(1, _MAX_TERMS):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            result *= c * d
        if abs(c * d - 1.0) < _EPS:
            return result
    raise ArithmeticError(f"incomplete beta did not converge for a={a}, b={b}, x={x}")


def regularized_incomplete_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b) = P(X <= x) for X ~ Beta(a, b)."""
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"x must be in [0, 1], got {x}")
    if x == 0.0 or x == 1.0:
        return x
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1.0 - x) / b


def student_t_two_sided(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` degrees of freedom."""
    if math.isinf(t):
        return 0.0
    return regularized_incomplete_beta(df / 2.0, 0.5, df / (df + t * t))


def correlation_p_value(r: float, n: int) -> float:
    """Two-sided p-value of a correlation r over n pairs under independence (t test, n - 2 df)."""
    if n < 3:
        return 1.0
    if abs(r) >= 1.0:
        return 0.0
    shape = n / 2.0 - 1.0
    # |r| under the null is Beta(shape, shape) on [-1, 1]; identical to the t test on n - 2 df
    return 2.0 * regularized_incomplete_beta(shape, shape, (1.0 - abs(r)) / 2.0)


def chi2_one_df_survival(statistic: float) -> float:
    """P(X >= statistic) for a chi-squared variable with one degree of freedom."""
    return math.erfc(math.sqrt(max(statistic, 0.0) / 2.0))


def binomial_two_sided_half(k: int, n: int) -> float:
    """Exact two-sided p-value of k successes in n fair coin flips: min(1, 2 P(X <= min(k, n-k)))."""
    low = min(k, n - k)
    if low == n / 2:  # the middle outcome: nothing is less likely than what was seen
        return 1.0
    tail = regularized_incomplete_beta(n - low, low + 1, 0.5)  # P(X <= low) for Binomial(n, 1/2)
    return min(1.0, 2.0 * tail)
