"""Tabular GAN in the style of CTGAN: mode-specific normalisation, a conditional vector with
training-by-sampling, and a packed WGAN-GP critic; TSTR evaluation.

Source: Xu, Skoularidou, Cuesta-Infante and Veeramachaneni 2019, "Modeling Tabular Data
using Conditional GAN" (CTGAN), section 4.
- Mode-specific normalisation (section 4.2): each continuous column c_i gets a variational
  Gaussian mixture (sklearn's `BayesianGaussianMixture`, a Dirichlet-process prior, at most
  10 modes; modes of weight < 0.005 dropped). A value c_ij has mode posteriors
  rho_k = pi_k N(c_ij; eta_k, phi_k) / sum_l pi_l N(c_ij; eta_l, phi_l); one mode k is
  *sampled* from rho, and c_ij becomes alpha = (c_ij - eta_k) / (4 phi_k) and the one-hot
  beta of k. Discrete columns become one-hot vectors d_i.
- Conditional vector and training-by-sampling (section 4.3): a discrete column i* is picked
  uniformly, a category k* with probability proportional to log(1 + its count), the cond
  vector is the one-hot of (i*, k*) in the concatenation of all discrete columns' one-hots,
  and the real row shown to the critic is drawn uniformly among rows with D_{i*} = k*.
  G is penalised by the cross-entropy between its logits for column i* and k*.
- Networks (section 4.4): G is two residual blocks that *concatenate* their output
  (h <- h ⊕ ReLU(BN(FC(h)))), then tanh for alphas and Gumbel-softmax (tau 0.2) for mode
  and category one-hots; the critic sees `pac` rows at once (PacGAN, Lin et al. 2018) with
  their cond vectors, through two FC-LeakyReLU(0.2)-Dropout(0.5) layers.
- Loss: WGAN-GP (Gulrajani et al. 2017, lambda 10), as the paper, with the penalty on packed
  interpolates (one eps per pack, as CTGAN's code). We keep it because the critic is a
  regression over mixed one-hot/continuous inputs where a saturating logistic D gives G
  little gradient on the one-hots early on.

Deviations: narrower nets (width 128 by default, the paper's 256), a smaller pack (4, the
paper's 10) for small batches, Adam (0.5, 0.9) at 2e-4 for both nets without weight
decay. The modes of the training rows are sampled once, at encoding time (as CTGAN's code);
the critic sees real rows paired with the very cond vector they were drawn for. Unconditional
samples read their cond vector off z itself (z_0 picks a discrete column, z_1 its category
by the inverse CDF of the data's frequencies, through Phi(z)), so `Trainer.sample` needs no
extra randomness; the Gumbel noise uses torch's global RNG, like dropout.

Evaluation (section 5.1, "machine learning efficacy"): train a classifier on synthetic rows
and test it on real held-out rows (TSTR), against the same classifier trained on real rows
(TRTR) and on rows whose columns were sampled independently (a naive baseline).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import losses, regularizers
from .data import Table
from .options import opt
from .registry import (
    DepthPart,
    GPPart,
    LossPart,
    NetPart,
    OptimPart,
    Preset,
    d_phase_loss,
    gd_teams,
    register,
)
from .train import Game, Phase, Step

__all__ = ["mode_posteriors", "mode_normalize", "mode_denormalize", "ModeNormalizer",
           "TableTransformer", "ConditionalSampler", "TableGenerator", "PacCritic",
           "CTGANConfig", "tstr_accuracy", "independent_columns", "decode_samples"]

KINDS = ("alpha", "mode", "category")


# --- mode-specific normalisation --------------------------------------------------------------


def _check_mixture(means: np.ndarray, stds: np.ndarray, weights: np.ndarray) -> None:
    if not (means.shape == stds.shape == weights.shape) or means.ndim != 1:
        raise ValueError(f"means, stds and weights must be (K,) each, got {means.shape}, "
                         f"{stds.shape}, {weights.shape}")
    if (stds <= 0).any() or (weights < 0).any():
        raise ValueError("mixture stds must be > 0 and weights >= 0")


def mode_posteriors(values: np.ndarray, means: np.ndarray, stds: np.ndarray,
                    weights: np.ndarray) -> np.ndarray:
    """rho_k(c) = pi_k N(c; eta_k, phi_k) / sum_l pi_l N(c; eta_l, phi_l): (N,) -> (N, K)."""
    means, stds, weights = (np.asarray(a, dtype=np.float64) for a in (means, stds, weights))
    _check_mixture(means, stds, weights)
    c = np.asarray(values, dtype=np.float64)[:, None]  # (N, 1)
    with np.errstate(divide="ignore"):  # log 0 = -inf for a mode of weight 0
        logp = np.log(weights) - np.log(stds) - 0.5 * ((c - means) / stds) ** 2  # (N, K)
    logp -= logp.max(1, keepdims=True)
    p = np.exp(logp)
    return p / p.sum(1, keepdims=True)


def mode_normalize(values: np.ndarray, means: np.ndarray, stds: np.ndarray, weights: np.ndarray,
                   rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """CTGAN's encoding of one column: (alpha (N,), mode (N,) int).

    The mode is drawn from the posteriors rho with `rng` (the paper), or is their argmax when
    rng is None; alpha = (c - eta_mode) / (4 phi_mode). No clipping: values far from their mode
    give |alpha| > 1, which G's tanh cannot produce, so decode(encode(x)) == x holds exactly.
    """
    rho = mode_posteriors(values, means, stds, weights)  # (N, K)
    if rng is None:
        mode = rho.argmax(1)
    else:  # inverse CDF of each row's posterior
        u = rng.random(len(rho))[:, None]
        mode = np.minimum((rho.cumsum(1) < u).sum(1), rho.shape[1] - 1)
    c = np.asarray(values, dtype=np.float64)
    alpha = (c - np.asarray(means)[mode]) / (4 * np.asarray(stds)[mode])  # (N,)
    return alpha, mode


def mode_denormalize(alpha: np.ndarray, mode: np.ndarray, means: np.ndarray,
                     stds: np.ndarray) -> np.ndarray:
    """The inverse: c = 4 phi_mode alpha + eta_mode: (N,), (N,) -> (N,)."""
    mode = np.asarray(mode)
    return 4 * np.asarray(stds)[mode] * np.asarray(alpha) + np.asarray(means)[mode]


@dataclass
class ModeNormalizer:
    """One continuous column's fitted mixture: means eta_k, stds phi_k, weights pi_k (K,)."""

    means: np.ndarray
    stds: np.ndarray
    weights: np.ndarray

    @classmethod
    def fit(cls, values: np.ndarray, max_modes: int = 10, weight_threshold: float = 0.005,
            seed: int = 0) -> ModeNormalizer:
        """A variational Gaussian mixture (Dirichlet-process prior) on one column (N,)."""
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.mixture import BayesianGaussianMixture

        v = np.asarray(values, dtype=np.float64).reshape(-1, 1)
        if len(v) < 2 or not np.isfinite(v).all():
            raise ValueError(f"a column needs >= 2 finite values to fit its modes, got {len(v)}")
        bgm = BayesianGaussianMixture(
            n_components=min(max_modes, len(v)), weight_concentration_prior_type="dirichlet_process",
            weight_concentration_prior=1e-3, max_iter=100, random_state=seed)
        with warnings.catch_warnings():  # 100 EM steps, as CTGAN's transformer; the modes only
            warnings.simplefilter("ignore", ConvergenceWarning)  # normalise, they need not converge
            bgm.fit(v)
        keep = bgm.weights_ > weight_threshold
        w = bgm.weights_[keep]
        return cls(bgm.means_[keep, 0], np.sqrt(bgm.covariances_[keep, 0, 0]), w / w.sum())

    @property
    def k(self) -> int:
        return len(self.means)


class TableTransformer:
    """A table <-> CTGAN's encoded rows: per column (alpha, mode one-hot) or a category one-hot.

    `layout` lists the spans of an encoded row in order, (size, kind) with kind "alpha" (1
    value, tanh), "mode" (a one-hot of a continuous column's modes) or "category" (a discrete
    column's one-hot, the only spans a cond vector refers to).
    """

    def __init__(self, max_modes: int = 10, weight_threshold: float = 0.005, seed: int = 0):
        self.max_modes, self.weight_threshold, self.seed = max_modes, weight_threshold, seed
        self.columns: list[ModeNormalizer | int] = []  # a mixture, or a number of categories
        self.counts: list[np.ndarray] = []  # per discrete column: category counts (k,)

    def fit(self, table: Table) -> TableTransformer:
        self.columns, self.counts = [], []
        for j in range(table.x.shape[1]):
            if j in table.categories:
                k = table.categories[j]
                self.columns.append(k)
                self.counts.append(np.bincount(_codes(table.x[:, j], k, j), minlength=k))
            else:
                self.columns.append(ModeNormalizer.fit(table.x[:, j], self.max_modes,
                                                       self.weight_threshold, self.seed))
        return self

    @property
    def layout(self) -> tuple[tuple[int, str], ...]:
        self._check_fitted()
        out: list[tuple[int, str]] = []
        for col in self.columns:
            out += [(1, "alpha"), (col.k, "mode")] if isinstance(col, ModeNormalizer) else [(col, "category")]
        return tuple(out)

    def options(self) -> dict:
        """What the ctgan variant needs to know about this table: layout and frequencies."""
        freqs = tuple(tuple(float(f) for f in c / c.sum()) for c in self.counts)
        return {"layout": self.layout, "frequencies": freqs}

    @property
    def width(self) -> int:
        """Size of an encoded row."""
        return sum(s for s, _ in self.layout)

    def encode(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """(N, d) table rows -> (N, width) float32; modes sampled with rng (argmax if None)."""
        self._check_fitted()
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(self.columns):
            raise ValueError(f"expected rows (N, {len(self.columns)}), got shape {x.shape}")
        parts = []
        for j, col in enumerate(self.columns):
            if isinstance(col, ModeNormalizer):
                alpha, mode = mode_normalize(x[:, j], col.means, col.stds, col.weights, rng)
                parts += [alpha[:, None], np.eye(col.k)[mode]]
            else:
                parts.append(np.eye(col)[_codes(x[:, j], col, j)])
        return np.concatenate(parts, axis=1).astype(np.float32)

    def decode(self, e: np.ndarray | Tensor) -> np.ndarray:
        """(N, width) encoded rows -> (N, d) float64; one-hots (or logits) read by argmax."""
        self._check_fitted()
        e = np.asarray(e.detach().cpu() if isinstance(e, Tensor) else e, dtype=np.float64)
        if e.ndim != 2 or e.shape[1] != self.width:
            raise ValueError(f"expected encoded rows (N, {self.width}), got shape {e.shape}")
        out, pos = [], 0
        for col in self.columns:
            if isinstance(col, ModeNormalizer):
                mode = e[:, pos + 1 : pos + 1 + col.k].argmax(1)
                out.append(mode_denormalize(e[:, pos], mode, col.means, col.stds))
                pos += 1 + col.k
            else:
                out.append(e[:, pos : pos + col].argmax(1).astype(np.float64))
                pos += col
        return np.stack(out, axis=1)

    def _check_fitted(self) -> None:
        if not self.columns:
            raise ValueError("the transformer is not fitted: call .fit(table) first")


def _codes(col: np.ndarray, k: int, j: int) -> np.ndarray:
    codes = col.astype(np.int64)
    if (codes != col).any() or codes.min() < 0 or codes.max() >= k:
        raise ValueError(f"discrete column {j} must hold integer codes 0..{k - 1}, "
                         f"got values in [{col.min()}, {col.max()}]")
    return codes


# --- the conditional vector and training-by-sampling -----------------------------------------


class ConditionalSampler:
    """Training-by-sampling: `.sample(n, generator)` -> (n, width + C) real rows ⊕ their cond.

    C is the total number of categories of the discrete columns. Per row: column i* uniform,
    category k* with P proportional to log(1 + count), a real row uniform among those with
    that category (section 4.3 of the CTGAN paper).
    """

    def __init__(self, encoded: np.ndarray | Tensor, codes: np.ndarray, sizes: list[int]):
        enc = torch.as_tensor(encoded, dtype=torch.float32)  # (N, width)
        codes = np.asarray(codes, dtype=np.int64)  # (N, n_discrete)
        if codes.ndim != 2 or codes.shape != (len(enc), len(sizes)) or not sizes:
            raise ValueError(f"codes must be (N={len(enc)}, {len(sizes)}) for {len(sizes)} discrete "
                             f"columns (at least one), got {codes.shape}")
        self.encoded, self.sizes, kmax = enc, list(sizes), max(sizes)
        self.offsets = torch.tensor(np.concatenate([[0], np.cumsum(sizes)[:-1]]))  # (n_disc,)
        counts = np.zeros((len(sizes), kmax))
        order, starts = [], np.zeros((len(sizes), kmax), dtype=np.int64)
        for i, k in enumerate(sizes):
            counts[i, :k] = np.bincount(codes[:, i], minlength=k)
            order.append(np.argsort(codes[:, i], kind="stable"))  # rows grouped by category
            starts[i, :k] = np.concatenate([[0], np.cumsum(counts[i, :k])[:-1]])
        self.counts = torch.tensor(counts)  # (n_disc, kmax)
        self.starts = torch.tensor(starts)  # (n_disc, kmax)
        self.order = torch.tensor(np.stack(order))  # (n_disc, N)
        self.log_freq = torch.log1p(self.counts)  # (n_disc, kmax): unnormalised P(k* | i*)

    @property
    def n_cond(self) -> int:
        return sum(self.sizes)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        col = torch.randint(len(self.sizes), (n,), generator=generator)  # (n,)
        cat = torch.multinomial(self.log_freq[col], 1, generator=generator)[:, 0]  # (n,)
        u = torch.rand(n, generator=generator, dtype=torch.float64)
        pos = self.starts[col, cat] + (u * self.counts[col, cat]).long()  # (n,)
        rows = self.order[col, pos]  # (n,)
        cond = F.one_hot(self.offsets[col] + cat, self.n_cond).float()  # (n, C)
        return torch.cat([self.encoded[rows], cond], dim=1)  # (n, width + C)

    @classmethod
    def from_table(cls, tt: TableTransformer, table: Table,
                   rng: np.random.Generator | None = None) -> ConditionalSampler:
        """Encode `table` with `tt` (modes sampled by rng) and index its discrete columns."""
        disc = sorted(table.categories)
        return cls(tt.encode(table.x, rng), table.x[:, disc].astype(np.int64),
                   [table.categories[j] for j in disc])


# --- networks ----------------------------------------------------------------------------------


def _spans(layout: tuple[tuple[int, str], ...]) -> list[tuple[int, int, str]]:
    """(start, end, kind) of each span of an encoded row."""
    out, pos = [], 0
    for size, kind in layout:
        if kind not in KINDS or size < 1:
            raise ValueError(f"layout entries must be (size >= 1, one of {KINDS}), got {(size, kind)}")
        out.append((pos, pos + size, kind))
        pos += size
    return out


class TableGenerator(nn.Module):
    """G(z ⊕ cond) -> an encoded row: residual blocks that concatenate, then per-span outputs."""

    def __init__(self, nz: int, n_cond: int, layout: tuple[tuple[int, str], ...],
                 width: int = 128, depth: int = 2, tau: float = 0.2) -> None:
        super().__init__()
        self.spans, self.tau = _spans(layout), tau
        self.blocks = nn.ModuleList()
        w = nz + n_cond
        for _ in range(depth):
            self.blocks.append(nn.Sequential(nn.Linear(w, width), nn.BatchNorm1d(width), nn.ReLU()))
            w += width  # h <- h ⊕ block(h)
        self.head = nn.Linear(w, self.spans[-1][1])

    def logits(self, z: Tensor, cond: Tensor) -> Tensor:
        """Raw outputs before the per-span activations: (B, width_enc)."""
        h = torch.cat([z, cond], dim=1)  # (B, nz + C)
        for block in self.blocks:
            h = torch.cat([h, block(h)], dim=1)
        return self.head(h)

    def activate(self, raw: Tensor) -> Tensor:
        """tanh on alphas, Gumbel-softmax (tau) on mode and category spans."""
        parts = [torch.tanh(raw[:, a:b]) if kind == "alpha"
                 else F.gumbel_softmax(raw[:, a:b], tau=self.tau)
                 for a, b, kind in self.spans]
        return torch.cat(parts, dim=1)  # (B, width_enc)

    def forward(self, z: Tensor, cond: Tensor) -> Tensor:
        return self.activate(self.logits(z, cond))


class PacCritic(nn.Module):
    """The critic on `pac` packed rows with their cond vectors: (B, d) -> (B / pac,) scores."""

    def __init__(self, d: int, pac: int = 4, width: int = 128, depth: int = 2,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.pac = pac
        layers: list[nn.Module] = []
        w = d * pac
        for _ in range(depth):
            layers += [nn.Linear(w, width), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
            w = width
        self.net = nn.Sequential(*layers, nn.Linear(w, 1))

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[0] % self.pac:
            raise ValueError(f"the critic packs {self.pac} rows: use a batch size divisible by "
                             f"{self.pac}, got {x.shape[0]}")
        return self.net(x.reshape(x.shape[0] // self.pac, -1)).squeeze(1)  # (B / pac,)


# --- the game --------------------------------------------------------------------------------


@dataclass
class CTGANConfig(GPPart, OptimPart, DepthPart, NetPart, LossPart):
    """CTGAN: pass `**TableTransformer.options()` (layout and frequencies) to variants.build."""

    layout: tuple[tuple[int, str], ...] = opt((), "spans of an encoded row (TableTransformer.layout)")
    frequencies: tuple[tuple[float, ...], ...] = opt((), "per discrete column, its categories' shares")
    pac: int = opt(4, "rows per critic input (PacGAN)")
    tau: float = opt(0.2, "Gumbel-softmax temperature")
    cond_weight: float = opt(1.0, "weight of G's cross-entropy on the conditioned column")


def _category_spans(layout) -> list[tuple[int, int]]:
    return [(a, b) for a, b, kind in _spans(layout) if kind == "category"]


def conditional_loss(raw: Tensor, cond: Tensor, cat_spans: list[tuple[int, int]]) -> Tensor:
    """Mean over rows of -log softmax(G's logits on column i*)[k*], (i*, k*) read off cond."""
    pos = cond.argmax(1)  # (B,) index in the concatenated one-hots
    loss = raw.new_zeros(())
    start = 0
    for a, b in cat_spans:
        k = b - a
        rows = (pos >= start) & (pos < start + k)  # rows conditioned on this column
        if rows.any():
            ce = F.cross_entropy(raw[rows, a:b], pos[rows] - start, reduction="sum")
            loss = loss + ce
        start += k
    return loss / len(raw)


def cond_from_z(z: Tensor, frequencies: tuple[tuple[float, ...], ...]) -> Tensor:
    """A cond vector read off z: Phi(z_0) picks a discrete column, Phi(z_1) its category by the
    inverse CDF of the data's frequencies: (B, nz) -> (B, C)."""
    u = 0.5 * (1 + torch.erf(z[:, :2].double() / math.sqrt(2)))  # (B, 2) uniform on (0, 1)
    col = (u[:, 0] * len(frequencies)).long().clamp_max(len(frequencies) - 1)  # (B,)
    sizes = [len(f) for f in frequencies]
    cdf = torch.zeros(len(sizes), max(sizes), dtype=torch.float64)
    for i, f in enumerate(frequencies):
        cdf[i, : len(f)] = torch.tensor(f, dtype=torch.float64).cumsum(0)
        cdf[i, len(f):] = 2.0  # never chosen
    cdf = cdf.to(z.device)
    size = torch.tensor(sizes, device=z.device)[col]
    cat = torch.minimum((cdf[col] < u[:, 1:]).sum(1), size - 1)  # (B,)
    offsets = torch.tensor([0] + sizes[:-1], device=z.device).cumsum(0)
    return F.one_hot(offsets[col] + cat, sum(sizes)).to(z.dtype)  # (B, C)


def ctgan_phases(cfg: CTGANConfig, width: int) -> list[Phase]:
    """The critic's WGAN-GP phase and G's adversarial + conditional phase."""
    d_fn, g_fn, _ = losses.LOSSES[cfg.loss]
    cat_spans = _category_spans(cfg.layout)

    def rows(ctx: Step):
        real, cond = ctx.real[:, :width], ctx.real[:, width:]  # (B, width), (B, C)
        fake = ctx.nets["G"](ctx.z(len(real)), cond)  # (B, width), the same conds
        return (torch.cat([real, cond], 1),), (torch.cat([fake, cond], 1),)

    def packed_gp(ctx: Step, real: tuple[Tensor, ...], fake: tuple[Tensor, ...]) -> Tensor:
        # one interpolation weight per pack (interpolate the packed inputs)
        pac, dim = cfg.pac, real[0].shape[1]
        packed = lambda x: x.reshape(-1, pac * dim)  # noqa: E731  (B, d) -> (B/pac, pac d)
        crit = lambda x: ctx.d(x.reshape(-1, dim))  # noqa: E731
        return regularizers.gradient_penalty(crit, packed(real[0]), packed(fake[0]), weight=cfg.gp)

    d_phase = d_phase_loss(d_fn, rows, penalties={"gp": packed_gp} if cfg.gp else None)

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        cond = ctx.real[:, width:]  # conds drawn by training-by-sampling
        g = ctx.nets["G"]
        raw = g.logits(ctx.z(len(cond)), cond)  # (B, width)
        adv = g_fn(ctx.d(torch.cat([g.activate(raw), cond], 1)))
        ce = conditional_loss(raw, cond, cat_spans)
        return {"loss": adv + cfg.cond_weight * ce, "adv": adv.detach(), "cond_ce": ce.detach()}

    return [Phase("D", "D", d_phase, repeats=cfg.n_critic), Phase("G", "G", g_phase)]


def prepare_table(table: Table, seed: int) -> tuple[ConditionalSampler, dict]:
    """A Table -> CTGAN's training-by-sampling data and the build options it fixes (layout and
    frequencies): `Preset.prepare` of ctgan."""
    tt = TableTransformer().fit(table)
    return ConditionalSampler.from_table(tt, table, np.random.default_rng(seed)), tt.options()


def _build_ctgan(name: str, cfg: CTGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    if not cfg.layout or not cfg.frequencies:
        raise ValueError(f"variant {name!r} needs the table's layout and frequencies: "
                         "variants.build('ctgan', shape, **TableTransformer(...).fit(t).options())")
    width = sum(s for s, _ in cfg.layout)
    n_cond = sum(s for s, k in cfg.layout if k == "category")
    if [len(f) for f in cfg.frequencies] != [s for s, k in cfg.layout if k == "category"]:
        raise ValueError("frequencies must give one share per category of each discrete column")
    if tuple(shape) != (width + n_cond,):
        raise ValueError(f"variant {name!r} expects items (width + C,) = ({width + n_cond},) "
                         f"(encoded row ⊕ cond, from ConditionalSampler), got {tuple(shape)}")
    nz = cfg.nz or 32
    if nz < 2:
        raise ValueError(f"ctgan reads the cond vector off z_0 and z_1: nz must be >= 2, got {nz}")
    g = TableGenerator(nz, n_cond, cfg.layout, cfg.width, cfg.depth, cfg.tau)
    d = PacCritic(width + n_cond, cfg.pac, cfg.width, cfg.depth)
    teams = gd_teams(cfg)

    def generate(nets, z, labels):
        return nets["G"](z, cond_from_z(z, cfg.frequencies))  # (B, width)

    return Game(name, {"G": g, "D": d}, teams, ctgan_phases(cfg, width), nz=nz, generate=generate)


register("ctgan", Preset("CTGAN: mode-specific normalisation, cond vector + training-by-sampling, "
                         "packed WGAN-GP critic (pass TableTransformer.options())",
                         CTGANConfig(loss="wasserstein", gp=10.0, width=128, depth=2, nz=32,
                                     lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.9)),
                         builder="ctgan", data="table", default_data="wine",
                         prepare=prepare_table), _build_ctgan)


# --- evaluation ------------------------------------------------------------------------------


def decode_samples(x: Tensor | np.ndarray, tt: TableTransformer, like: Table) -> Table:
    """G's encoded rows (N, width) -> a Table with `like`'s columns."""
    return Table(tt.decode(x), like.columns, like.categories, like.label)


def tstr_accuracy(train: Table, test: Table) -> float:
    """Accuracy on `test` of a standardised logistic regression fit on `train`'s label.

    With one class only in train (a collapsed generator), the classifier predicts it.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if train.columns != test.columns:
        raise ValueError("train and test tables must have the same columns")
    if len(np.unique(train.y)) < 2:
        return float((test.y == train.y[0]).mean())
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    clf.fit(train.features, train.y)
    return float(clf.score(test.features, test.y))


def independent_columns(table: Table, n: int, rng: np.random.Generator) -> Table:
    """The naive baseline: n rows whose every column is resampled independently of the others."""
    idx = rng.integers(0, len(table.x), size=(n, table.x.shape[1]))  # (n, d)
    x = table.x[idx, np.arange(table.x.shape[1])]  # column j from row idx[:, j]
    return Table(x, table.columns, table.categories, table.label)
