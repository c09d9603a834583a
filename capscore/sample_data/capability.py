"""The hidden capability of every registry firm: the truth the scores are measured against.

Formula. The enterprises model draws, per firm, a latent scale `size` ~ N(0, 1)
(revenue, staff, registered capital follow it) and

    innov = 0.4 * size + 0.9 * e + shift,   e ~ N(0, 1),
    shift = +0.3 in a tech industry, -0.6 otherwise;

    capability = (innov - mean(innov)) / sd(innov)     (over the registry firms)

so capability has mean 0 and sd 1, leans towards larger firms (corr ~0.4
with size) and towards tech industries, and is constant over a firm's life.

Channels. Nothing observable is a function of capability. Each piece of
evidence and each outcome c sees it through its own firm-level latent

    z_c = r_c * capability + sqrt(1 - r_c^2) * u_c,   u_c ~ N(0, 1),

independent per firm and channel, so z_c ~ N(0, 1) and corr(z_c, capability)
= r_c; the observable then adds its own sampling noise (Poisson counts,
per-patent and per-year draws, missing filings).

Evidence channels (`EVIDENCE`, rho at --evidence-noise 1) and what they drive:

| channel | rho | drives |
|---|---|---|
| patent_rate | 0.60 | expected filings: exp(1.4 z) x industry rate x years active (owners) |
| invention_share | 0.50 | odds of an invention vs utility model/design: x exp(0.6 z - 0.2) |
| grant | 0.40 | invention grant probability 0.52 + 0.10 z (clipped 0.2..0.9) |
| claims | 0.35 | claims_count lognormal median x exp(0.15 z) (0.10 for utility models) |
| family | 0.45 | PCT probability of inventions sigmoid(-3.1 + 0.9 z); family size |
| citations | 0.45 | attractiveness to citing patents x exp(0.5 z): forward citations |
| rd_filing | 0.50 | probability to file R&D figures sigmoid(a + 1.0 z + 0.4 size + ...) |
| rd_intensity | 0.50 | firm R&D intensity: log median + 0.48 z; filing odds + 1.2 z |
| rd_staff | 0.40 | R&D staff share: log(0.12 + intensity) + 0.25 z |

`--evidence-noise` X scales the idiosyncratic part against the capability
part: r_c = rho_c / sqrt(rho_c^2 + X^2 (1 - rho_c^2)), i.e. the noise-to-signal
ratio of every evidence channel is multiplied by X while z_c stays N(0, 1), so
the marginal distributions of the evidence (rates, shares, levels) do not
move. X = 1 gives rho_c, X = 0 gives z_c = capability, a large X pure noise.

Outcome channels (`OUTCOMES`) always use their rho. They drive the firm
timeline in `events`: revenue and staff growth (growth, 0.40), whether and
how well a firm applies for HNTE certificates and renewals (hnte, 0.60) and
for SRDI provincial and national (srdi, 0.55), and survival (survival, 0.50:
lower capability, more deregistration). Certificates are granted only to
firms whose realized R&D filings and patents meet the 高新 / 专精特新
criteria at the batch (`certification`), so their dates move with X;
capability itself never does.
"""

from __future__ import annotations

import numpy as np

EVIDENCE: dict[str, float] = {
    "patent_rate": 0.60,
    "invention_share": 0.50,
    "grant": 0.40,
    "claims": 0.35,
    "family": 0.45,
    "citations": 0.45,
    "rd_filing": 0.50,
    "rd_intensity": 0.50,
    "rd_staff": 0.40,
}
OUTCOMES: dict[str, float] = {
    "growth": 0.40,
    "hnte": 0.60,
    "srdi": 0.55,
    "survival": 0.50,
}


def standardized(innov: np.ndarray) -> np.ndarray:
    """capability: innov with mean 0 and sd 1 over the firms (0 when they do not vary)."""
    if innov.size == 0:
        return innov.astype(np.float64)
    sd = float(innov.std())
    centred = innov - innov.mean()
    return centred / sd if sd > 0 else np.zeros_like(centred)


def signal_weight(rho: float, noise: float) -> float:
    """r: the weight of capability in a channel with correlation rho at noise scale `noise`."""
    if noise < 0:
        raise ValueError(f"evidence noise must be >= 0, got {noise}")
    return rho / float(np.sqrt(rho**2 + noise**2 * (1.0 - rho**2)))


def channels(
    rng: np.random.Generator,
    capability: np.ndarray,
    rhos: dict[str, float],
    noise: float = 1.0,
) -> dict[str, np.ndarray]:
    """z_c for each channel of `rhos`, in that order (one N(0, 1) draw per firm and channel)."""
    out = {}
    for name, rho in rhos.items():
        r = signal_weight(rho, noise)
        u = rng.standard_normal(capability.size)
        out[name] = r * capability + np.sqrt(max(1.0 - r * r, 0.0)) * u
    return out
