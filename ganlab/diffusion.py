"""Denoising diffusion (DDPM), the model family that displaced GANs for image synthesis.

Sources and deviations:
- Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models". The forward process
  q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I) with a linear schedule of the
  betas (section 4: beta_1 = 1e-4 to beta_T = 0.02, T = 1000) has the closed form (eq. 4)
  q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I), abar_t = prod_{s<=t} (1 - beta_s),
  and the posterior (eqs. 6-7) q(x_{t-1} | x_t, x_0) = N(mu~_t, beta~_t I) with
  mu~_t = sqrt(abar_{t-1}) beta_t / (1 - abar_t) x_0 + sqrt(alpha_t) (1 - abar_{t-1}) / (1 - abar_t) x_t
  and beta~_t = (1 - abar_{t-1}) / (1 - abar_t) beta_t. A network eps_theta(x_t, t) predicts
  the noise and is trained with the "simple" loss (eq. 14, algorithm 1)
  E_{t, x_0, eps} || eps - eps_theta(sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t) ||^2,
  t uniform on {1..T}. Sampling is algorithm 2 (ancestral): x_T ~ N(0, I), then
  x_{t-1} = (x_t - beta_t / sqrt(1 - abar_t) eps_theta) / sqrt(alpha_t) + sigma_t z, with
  sigma_t^2 = beta_t (the paper's choice; beta~_t is `sigma="posterior"`). The reverse mean
  is computed as mu~_t(x_t, x0_hat) with x0_hat predicted from eps (the same number), so that
  `clip` can clamp x0_hat to the data range first, as the authors' released code does for
  images (not in the paper's algorithm 2).
- Deviation: for T other than 1000 the schedule's ends are scaled by 1000 / T (the linear
  schedule as Nichol & Dhariwal 2021, "Improved DDPM", section 3 / their code, generalise
  it), so that abar_T stays near 0 with fewer steps. Code indexes time from 0: index t
  here is the paper's t + 1.
- Song, Meng & Ermon 2021, "Denoising Diffusion Implicit Models", eq. 12 with eta = 0:
  x_{tau_{i-1}} = sqrt(abar_{tau_{i-1}}) x0_hat + sqrt(1 - abar_{tau_{i-1}}) eps_theta, on an
  evenly spaced subsequence tau of the T steps: fewer network calls, deterministic given x_T.
- Networks (not the paper's 35.7M-parameter U-Net): a small MLP for points with the time
  embedding added to every hidden layer, and a two-level U-Net with residual blocks and
  GroupNorm for images; both take the sinusoidal embedding of t (Vaswani et al. 2017, as in
  Ho et al.'s code) and end in a zero-initialised layer (an untrained model predicts eps = 0).

The `ddpm` preset trains through the one Trainer: a Game with one phase (the simple loss)
and one network, `G`, a `DDPM` module whose forward(z) runs the reverse chain from
x_T = z, so `ganlab sample` works as for a GAN. The chain's fresh noise at every step comes
from torch's global RNG (or a `generator` passed to `DDPM.sample`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .options import opt
from .registry import Preset, register
from .train import Game, Phase, Step, Team, linear_decay

__all__ = ["linear_betas", "Schedule", "q_mean_var", "q_sample", "posterior_mean_var",
           "predict_x0", "simple_loss", "reverse_mean", "ancestral_sample", "ddim_timesteps",
           "ddim_sample", "gaussian_eps", "timestep_embedding", "EpsMLP", "EpsUNet", "DDPM",
           "DDPMConfig", "ddpm_phase"]

EpsFn = Callable[[Tensor, Tensor], Tensor]  # (x_t, t) -> predicted noise, same shape as x_t


# --- the forward process -----------------------------------------------------------------


def linear_betas(T: int, beta_start: float = 1e-4, beta_end: float = 0.02,
                 dtype: torch.dtype = torch.float64) -> Tensor:
    """Ho et al.'s linear schedule (T,), its ends scaled by 1000 / T for T != 1000."""
    if T < 2:
        raise ValueError(f"a diffusion needs T >= 2 steps, got {T}")
    scale = 1000.0 / T
    lo, hi = scale * beta_start, scale * beta_end
    if not 0 < lo <= hi < 1:
        raise ValueError(f"the scaled betas must satisfy 0 < beta_1 <= beta_T < 1, got "
                         f"[{lo}, {hi}] for T={T}: use more steps or a smaller beta_end")
    return torch.linspace(lo, hi, T, dtype=dtype)


class Schedule(nn.Module):
    """The schedule's per-step constants as buffers (they follow .to(device) and .double())."""

    def __init__(self, betas: Tensor) -> None:
        super().__init__()
        betas = betas.double()
        alphas = 1.0 - betas
        abar = torch.cumprod(alphas, 0)  # abar_t = prod_{s <= t} alpha_s
        abar_prev = torch.cat([abar.new_ones(1), abar[:-1]])  # abar_{t-1}, abar_0 = 1
        consts = {"betas": betas, "alphas": alphas, "abar": abar, "abar_prev": abar_prev,
                  "one_minus_abar": 1 - abar,  # computed in float64, stored in float32
                  "beta_tilde": (1 - abar_prev) / (1 - abar) * betas,  # eq. 7
                  "post_x0": abar_prev.sqrt() * betas / (1 - abar),  # eq. 7's coefficients
                  "post_xt": alphas.sqrt() * (1 - abar_prev) / (1 - abar)}
        for name, v in consts.items():
            self.register_buffer(name, v.float())

    @property
    def T(self) -> int:
        return len(self.betas)

    def at(self, name: str, t: Tensor, like: Tensor) -> Tensor:
        """The constant `name` at steps t (B,), shaped to broadcast over x (B, ...)."""
        v = getattr(self, name)[t]  # (B,)
        return v.view(-1, *([1] * (like.dim() - 1))).to(like.dtype)


def q_mean_var(s: Schedule, x0: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
    """Mean and variance of q(x_t | x_0) (eq. 4): sqrt(abar_t) x_0 and (1 - abar_t)."""
    return s.at("abar", t, x0).sqrt() * x0, s.at("one_minus_abar", t, x0).expand_as(x0)


def q_sample(s: Schedule, x0: Tensor, t: Tensor, eps: Tensor) -> Tensor:
    """x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps: a draw of q(x_t | x_0)."""
    return s.at("abar", t, x0).sqrt() * x0 + s.at("one_minus_abar", t, x0).sqrt() * eps


def posterior_mean_var(s: Schedule, x0: Tensor, xt: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
    """Mean mu~_t and variance beta~_t of q(x_{t-1} | x_t, x_0) (eqs. 6-7)."""
    mean = s.at("post_x0", t, x0) * x0 + s.at("post_xt", t, x0) * xt
    return mean, s.at("beta_tilde", t, x0).expand_as(x0)


def predict_x0(s: Schedule, xt: Tensor, t: Tensor, eps: Tensor) -> Tensor:
    """x_0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t): eq. 4 solved for x_0."""
    return (xt - s.at("one_minus_abar", t, xt).sqrt() * eps) / s.at("abar", t, xt).sqrt()


def simple_loss(eps_fn: EpsFn, s: Schedule, x0: Tensor, t: Tensor, eps: Tensor) -> Tensor:
    """L_simple (eq. 14): mean over the batch and coordinates of (eps - eps_theta(x_t, t))^2."""
    return (eps - eps_fn(q_sample(s, x0, t, eps), t)).square().mean()


# --- the reverse process -------------------------------------------------------------------


def _noise(x: Tensor, generator: torch.Generator | None) -> Tensor:
    return torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)


def reverse_mean(eps_fn: EpsFn, s: Schedule, x: Tensor, t: Tensor, clip: float = 0.0) -> Tensor:
    """The mean of p_theta(x_{t-1} | x_t): algorithm 2's (x_t - beta_t / sqrt(1 - abar_t) eps)
    / sqrt(alpha_t), computed as the posterior mean mu~_t(x_t, x0_hat) with x0_hat predicted
    from eps (the same number); clip > 0 clamps x0_hat to [-clip, clip] first (Ho et al.'s code)."""
    x0 = predict_x0(s, x, t, eps_fn(x, t))
    if clip > 0:
        x0 = x0.clamp(-clip, clip)
    return s.at("post_x0", t, x) * x0 + s.at("post_xt", t, x) * x


@torch.no_grad()
def ancestral_sample(eps_fn: EpsFn, s: Schedule, x_T: Tensor, sigma: str = "beta",
                     generator: torch.Generator | None = None, clip: float = 0.0) -> Tensor:
    """Algorithm 2: T denoising steps from x_T (B, ...); sigma_t^2 = beta_t or beta~_t."""
    if sigma not in ("beta", "posterior"):
        raise ValueError(f"sigma must be 'beta' (sigma_t^2 = beta_t) or 'posterior' (beta~_t), "
                         f"got {sigma!r}")
    x = x_T
    var_name = "betas" if sigma == "beta" else "beta_tilde"
    for i in reversed(range(s.T)):
        t = torch.full((len(x),), i, device=x.device, dtype=torch.long)
        mean = reverse_mean(eps_fn, s, x, t, clip)
        x = mean + s.at(var_name, t, x).sqrt() * _noise(x, generator) if i > 0 else mean
    return x


def ddim_timesteps(T: int, steps: int) -> list[int]:
    """An evenly spaced, increasing subsequence tau of {0..T-1} with `steps` entries, ending at T-1."""
    if not 1 <= steps <= T:
        raise ValueError(f"DDIM needs 1 <= steps <= T={T}, got {steps}")
    return sorted({round(T - 1 - k * (T - 1) / max(steps - 1, 1)) for k in range(steps)}) \
        if steps > 1 else [T - 1]


@torch.no_grad()
def ddim_sample(eps_fn: EpsFn, s: Schedule, x_T: Tensor, steps: int, clip: float = 0.0) -> Tensor:
    """DDIM with eta = 0 (Song et al. eq. 12): `steps` network calls, deterministic given x_T;
    clip > 0 clamps x0_hat to [-clip, clip] (eps is then re-derived from it)."""
    x = x_T
    taus = ddim_timesteps(s.T, steps)
    for k in reversed(range(len(taus))):
        t = torch.full((len(x),), taus[k], device=x.device, dtype=torch.long)
        eps = eps_fn(x, t)
        x0 = predict_x0(s, x, t, eps)
        if clip > 0:
            x0 = x0.clamp(-clip, clip)
            eps = (x - s.at("abar", t, x).sqrt() * x0) / s.at("one_minus_abar", t, x).sqrt()
        if k == 0:  # the last step lands on x_0's estimate (abar_{-1} = 1)
            return x0
        tp = torch.full_like(t, taus[k - 1])
        x = s.at("abar", tp, x).sqrt() * x0 + s.at("one_minus_abar", tp, x).sqrt() * eps
    return x


def gaussian_eps(s: Schedule, mean: Tensor | float, var: Tensor | float) -> EpsFn:
    """The exact noise predictor E[eps | x_t] for data x_0 ~ N(mean, var I) (per coordinate).

    x_t ~ N(sqrt(abar) mean, abar var + 1 - abar), and eps, x_t are jointly Gaussian with
    Cov(eps, x_t) = sqrt(1 - abar), so E[eps | x_t] = sqrt(1 - abar) (x_t - sqrt(abar) mean)
    / (abar var + 1 - abar): a denoiser "trained" by construction.
    """
    def eps_fn(xt: Tensor, t: Tensor) -> Tensor:
        abar, rest = s.at("abar", t, xt), s.at("one_minus_abar", t, xt)
        return rest.sqrt() * (xt - abar.sqrt() * mean) / (abar * var + rest)

    return eps_fn


# --- networks ------------------------------------------------------------------------------


def timestep_embedding(t: Tensor, dim: int, max_period: float = 10_000.0) -> Tensor:
    """Sinusoidal embedding of integer steps t (B,) -> (B, dim): [cos(t w_k), sin(t w_k)]."""
    if dim % 2:
        raise ValueError(f"the embedding size must be even, got {dim}")
    half = dim // 2
    w = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device) / half)  # (half,)
    arg = t.float()[:, None] * w[None]  # (B, half)
    return torch.cat([torch.cos(arg), torch.sin(arg)], dim=1)


class EpsMLP(nn.Module):
    """eps_theta as an MLP: x (B, d) or images (B, C, H, W) flattened to d = C H W, t (B,) ->
    the shape of x; the time embedding enters every hidden layer."""

    def __init__(self, d: int = 2, width: int = 128, depth: int = 3, emb: int = 64) -> None:
        super().__init__()
        if depth < 1:
            raise ValueError(f"depth counts hidden layers and must be >= 1, got {depth}")
        self.emb = emb
        self.t_mlp = nn.Sequential(nn.Linear(emb, width), nn.SiLU())
        self.layers = nn.ModuleList(nn.Linear(d if i == 0 else width, width) for i in range(depth))
        self.t_proj = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))
        self.out = nn.Linear(width, d)
        nn.init.zeros_(self.out.weight)  # an untrained model predicts eps = 0
        nn.init.zeros_(self.out.bias)

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        e = self.t_mlp(timestep_embedding(t, self.emb))  # (B, width)
        h = x.flatten(1)  # (B, d)
        for layer, proj in zip(self.layers, self.t_proj):
            h = F.silu(layer(h) + proj(e))  # (B, width)
        return self.out(h).view_as(x)


class _ResBlock(nn.Module):
    """GroupNorm-SiLU-conv twice, the time embedding added between, a 1x1 skip if widths differ."""

    def __init__(self, c_in: int, c_out: int, t_dim: int) -> None:
        super().__init__()
        self.n1, self.c1 = nn.GroupNorm(min(8, c_in), c_in), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.t = nn.Linear(t_dim, c_out)
        self.n2, self.c2 = nn.GroupNorm(min(8, c_out), c_out), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: Tensor, e: Tensor) -> Tensor:
        h = self.c1(F.silu(self.n1(x)))  # (B, c_out, H, W)
        h = h + self.t(e)[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return h + self.skip(x)


class EpsUNet(nn.Module):
    """eps_theta for images: x (B, C, H, H), t (B,) -> (B, C, H, H); two downsamplings (H % 4 == 0)."""

    def __init__(self, channels: int = 1, size: int = 16, width: int = 32, emb: int = 64) -> None:
        super().__init__()
        if size % 4:
            raise ValueError(f"the U-Net halves the image twice: size must be a multiple of 4, "
                             f"got {size}")
        w, td = width, 4 * width
        self.emb = emb
        self.t_mlp = nn.Sequential(nn.Linear(emb, td), nn.SiLU(), nn.Linear(td, td), nn.SiLU())
        self.inp = nn.Conv2d(channels, w, 3, padding=1)
        self.down1, self.down2 = _ResBlock(w, w, td), _ResBlock(w, 2 * w, td)
        self.pool1 = nn.Conv2d(w, w, 3, stride=2, padding=1)
        self.pool2 = nn.Conv2d(2 * w, 2 * w, 3, stride=2, padding=1)
        self.mid = _ResBlock(2 * w, 2 * w, td)
        self.up2, self.up1 = _ResBlock(4 * w, 2 * w, td), _ResBlock(3 * w, w, td)
        self.out = nn.Sequential(nn.GroupNorm(min(8, w), w), nn.SiLU(), nn.Conv2d(w, channels, 3, padding=1))
        nn.init.zeros_(self.out[-1].weight)  # an untrained model predicts eps = 0
        nn.init.zeros_(self.out[-1].bias)

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        e = self.t_mlp(timestep_embedding(t, self.emb))  # (B, 4w)
        h1 = self.down1(self.inp(x), e)  # (B, w, H, H)
        h2 = self.down2(self.pool1(h1), e)  # (B, 2w, H/2, H/2)
        h = self.mid(self.pool2(h2), e)  # (B, 2w, H/4, H/4)
        h = self.up2(torch.cat([F.interpolate(h, scale_factor=2.0), h2], 1), e)  # (B, 2w, H/2, H/2)
        h = self.up1(torch.cat([F.interpolate(h, scale_factor=2.0), h1], 1), e)  # (B, w, H, H)
        return self.out(h)


class DDPM(nn.Module):
    """A noise predictor and its schedule; forward(z) samples, so it stands in for a generator.

    Data live in the model's space divided by `scale` (Ho et al. scale images to [-1, 1]);
    `sampler` is "ancestral" (algorithm 2, T steps) or "ddim" (`ddim_steps` steps).
    """

    def __init__(self, eps_net: nn.Module, shape: tuple[int, ...], T: int = 1000,
                 beta_start: float = 1e-4, beta_end: float = 0.02, scale: float = 1.0,
                 sigma: str = "beta", sampler: str = "ancestral", ddim_steps: int = 50,
                 clip: float = 0.0) -> None:
        super().__init__()
        if sampler not in ("ancestral", "ddim"):
            raise ValueError(f"sampler must be 'ancestral' or 'ddim', got {sampler!r}")
        if not scale > 0:
            raise ValueError(f"scale must be > 0, got {scale}")
        self.eps_net, self.shape = eps_net, tuple(shape)
        self.schedule = Schedule(linear_betas(T, beta_start, beta_end))
        self.scale, self.sigma, self.sampler, self.ddim_steps = scale, sigma, sampler, ddim_steps
        self.clip = clip  # > 0: x0_hat clamped to [-clip, clip] in the model's space
        self.nz = math.prod(self.shape)

    def loss(self, x: Tensor, eps: Tensor, t: Tensor) -> Tensor:
        """L_simple on data x (B, ...) with noise eps (B, ...) at steps t (B,)."""
        return simple_loss(self.eps_net, self.schedule, x / self.scale, t, eps)

    def sample(self, z: Tensor, sampler: str | None = None, steps: int | None = None,
               generator: torch.Generator | None = None) -> Tensor:
        """Samples from x_T = z (B, nz) or (B, *shape), in data space (B, *shape)."""
        x_T = z.reshape(len(z), *self.shape)
        how = sampler or self.sampler
        if how == "ancestral":
            x0 = ancestral_sample(self.eps_net, self.schedule, x_T, self.sigma, generator, self.clip)
        elif how == "ddim":
            x0 = ddim_sample(self.eps_net, self.schedule, x_T, steps or self.ddim_steps, self.clip)
        else:
            raise ValueError(f"sampler must be 'ancestral' or 'ddim', got {how!r}")
        return x0 * self.scale

    def forward(self, z: Tensor) -> Tensor:
        return self.sample(z)


# --- the ddpm game ---------------------------------------------------------------------------


@dataclass
class DDPMConfig:
    """DDPM: schedule, noise-predictor size, sampler and Adam (one team, no discriminator)."""

    timesteps: int = opt(1000, "diffusion steps T (the linear schedule is scaled by 1000 / T)")
    beta_start: float = opt(1e-4, "beta_1 of the linear schedule at T = 1000")
    beta_end: float = opt(0.02, "beta_T of the linear schedule at T = 1000")
    net: str = opt("auto", "noise predictor: 'mlp' (on flattened items), 'unet' (images) or "
                   "'auto' (MLP for points, U-Net for images)")
    width: int = opt(128, "MLP hidden units, or U-Net base channels")
    depth: int = opt(3, "MLP hidden layers (the U-Net's depth is fixed)")
    scale: float = opt(1.0, "data are divided by this before diffusion (model space ~ [-1, 1])")
    sigma: str = opt("beta", "reverse-step variance: 'beta' (beta_t) or 'posterior' (beta~_t)")
    sampler: str = opt("ancestral", "'ancestral' (algorithm 2, T steps) or 'ddim' (eta = 0)")
    ddim_steps: int = opt(50, "network calls of the DDIM sampler")
    clip: float = opt(0.0, "> 0: clamp the predicted x_0 to [-clip, clip] at each reverse step "
                      "(Ho et al.'s code clips images to [-1, 1]); 0: off")
    lr: float = opt(2e-4, "Adam learning rate (Ho et al.: 2e-4)")
    betas: tuple[float, float] = opt((0.9, 0.999), "Adam betas")
    decay_steps: int = opt(0, "> 0: the learning rate decays linearly to 0 over this many steps")


def ddpm_phase() -> Phase:
    """Algorithm 1 as one phase: t uniform, eps ~ N(0, I) (the trainer's latents), L_simple."""

    def loss(ctx: Step) -> dict[str, Tensor]:
        model = ctx.nets["G"]
        x = ctx.real  # (B, ...)
        eps = ctx.z(len(x)).view_as(x)  # (B, ...) from the trainer's latent generator
        t = torch.randint(0, model.schedule.T, (len(x),), device=x.device)  # (B,)
        return {"loss": model.loss(x, eps, t)}

    return Phase("G", "G", loss)


def _build_ddpm(name: str, cfg: DDPMConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    if cfg.net not in ("auto", "mlp", "unet"):
        raise ValueError(f"net must be 'auto', 'mlp' or 'unet', got {cfg.net!r}")
    images = len(shape) == 3 and shape[1] == shape[2]
    if len(shape) != 1 and not images:
        raise ValueError(f"variant {name!r} takes points (d,) or square images (C, H, H), got "
                         f"item shape {shape}")
    if cfg.net == "unet" and not images:
        raise ValueError(f"net 'unet' needs square images (C, H, H), got item shape {shape}")
    if cfg.net == "unet" or (cfg.net == "auto" and images):
        net: nn.Module = EpsUNet(shape[0], shape[1], cfg.width)
    else:
        net = EpsMLP(math.prod(shape), cfg.width, cfg.depth)
    if cfg.sigma not in ("beta", "posterior"):
        raise ValueError(f"sigma must be 'beta' or 'posterior', got {cfg.sigma!r}")
    model = DDPM(net, shape, cfg.timesteps, cfg.beta_start, cfg.beta_end, cfg.scale, cfg.sigma,
                 cfg.sampler, cfg.ddim_steps, cfg.clip)
    if cfg.decay_steps < 0:
        raise ValueError(f"decay_steps must be >= 0 (0: a constant learning rate), got {cfg.decay_steps}")
    sched = linear_decay(cfg.decay_steps) if cfg.decay_steps else None
    team = Team(("G",), lr=cfg.lr, betas=cfg.betas, lr_schedule=sched)
    return Game(name, {"G": model}, {"G": team}, [ddpm_phase()], nz=model.nz)


register("ddpm", Preset("DDPM (Ho et al. 2020): a noise predictor trained with the simple loss, "
                        "sampled by the T-step reverse chain (or DDIM); no discriminator",
                        DDPMConfig(lr=1e-3), builder="ddpm", data="points", default_data="ring",
                        also=("images", "labelled")),
         _build_ddpm)
