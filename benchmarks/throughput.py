"""Images/s of a DCGAN training step: ganlab's Trainer vs the PyTorch-examples DCGAN.

The reference is what a user would run instead: the DCGAN of PyTorch's examples
repository (64x64, nz 100, ngf = ndf = 64, 3 channels), re-created here from its
description: G = ConvTranspose 100->512 (4,1,0), 512->256->128->64 (4,2,1), each
with BN and ReLU, 64->3 (4,2,1) and Tanh; D = Conv 3->64 (4,2,1) + LeakyReLU 0.2,
64->128->256->512 (4,2,1) + BN + LeakyReLU, 512->1 (4,1,0) and Sigmoid; no conv
biases; N(0, 0.02) conv weights, BN weights N(1, 0.02) and biases 0; Adam 2e-4,
betas (0.5, 0.999); BCELoss. One step: D on real (label 1) backward, D on
G(z).detach() (label 0) backward, D step, then D(fake) with label 1 backward and
G step: three backward passes, G run once.

ganlab's step is `variants.build("gan", (3, 64, 64), nz=100, width=64)` run by
the one Trainer (EMA off, as the reference has none): the same layers (by default plus
68 zero-initialised biases: G's output conv, D's input conv and D's head, which
`conv_bias=False` removes; the loss test uses that), logits and
softplus instead of sigmoid and BCE, G run twice (no-grad in the D phase, fresh z
in the G phase) and D frozen in the G phase. Both train on one synthetic batch
that lives on the device; both run in this process, rounds alternating.

Model FLOP utilisation (MFU): a step's FLOPs counted from the layer shapes (2 x
multiply-adds of every conv, BN and activations ignored; backward = 2 x forward,
or 1 x where only input gradients are needed) over a peak measured here with a
large matmul on the same device and dtype.

Also timed: the StyleGAN2-style step of `ganlab.style` (small size on CPU), and
the metrics' feature pass and FID (the shipped digits net; Inception-v3 with random
weights, timing only). ``--write`` puts the tables into benchmarks/README.md.

    python benchmarks/throughput.py --device cpu --write
    python benchmarks/throughput.py --device cuda --batches 64,128,512 --write
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganlab import variants
from ganlab.train import TrainConfig, Trainer

NZ, NC = 100, 3


# --- the reference: PyTorch examples' DCGAN, re-created from its description ----------------


class RefGenerator(nn.Module):
    """z (B, nz, 1, 1) -> image (B, 3, 64, 64)."""

    def __init__(self, nz: int = NZ, ngf: int = 64, nc: int = NC) -> None:
        super().__init__()

        def up(c_in: int, c_out: int) -> list[nn.Module]:
            return [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out),
                    nn.ReLU(True)]

        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),  # (B, 512, 4, 4)
            *up(ngf * 8, ngf * 4), *up(ngf * 4, ngf * 2), *up(ngf * 2, ngf),  # (B, 64, 32, 32)
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())  # (B, 3, 64, 64)

    def forward(self, z: Tensor) -> Tensor:
        return self.main(z)


class RefDiscriminator(nn.Module):
    """image (B, 3, 64, 64) -> probability (B, 1, 1, 1)."""

    def __init__(self, ndf: int = 64, nc: int = NC) -> None:
        super().__init__()

        def down(c_in: int, c_out: int) -> list[nn.Module]:
            return [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out),
                    nn.LeakyReLU(0.2, inplace=True)]

        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            *down(ndf, ndf * 2), *down(ndf * 2, ndf * 4), *down(ndf * 4, ndf * 8),  # (B, 512, 4, 4)
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid())

    def forward(self, x: Tensor) -> Tensor:
        return self.main(x)


def ref_init(m: nn.Module) -> None:
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


@dataclass
class Reference:
    G: RefGenerator
    D: RefDiscriminator
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer

    @classmethod
    def build(cls, device: torch.device, width: int = 64, seed: int = 0) -> Reference:
        torch.manual_seed(seed)
        g, d = RefGenerator(ngf=width).to(device), RefDiscriminator(ndf=width).to(device)
        g.apply(ref_init)
        d.apply(ref_init)
        adam = dict(lr=2e-4, betas=(0.5, 0.999))
        return cls(g, d, torch.optim.Adam(g.parameters(), **adam),
                   torch.optim.Adam(d.parameters(), **adam))

    def step(self, real: Tensor, z: Tensor, z_g: Tensor | None = None,
             amp: bool = False) -> tuple[Tensor, Tensor]:
        """One training step as the example writes it; returns (errD, errG).

        `z_g`: a second latent for the G update (ganlab draws one); None reuses G(z).
        `amp`: bf16 autocast around the forward passes only, as torch's AMP recipe says
        (autocast caches bf16 copies of the weights: an optimiser step inside one autocast
        region would leave the G update looking at D's old weights)."""
        bce = nn.BCELoss()
        b = real.shape[0]
        ones = torch.ones(b, device=real.device)
        zeros = torch.zeros(b, device=real.device)

        def fwd(net: nn.Module, x: Tensor) -> Tensor:
            with torch.autocast(real.device.type, dtype=torch.bfloat16, enabled=amp):
                return net(x)

        self.D.zero_grad()
        err_real = bce(fwd(self.D, real).view(-1).float(), ones)  # BCE is fp32-only under amp
        err_real.backward()
        fake = fwd(self.G, z[:, :, None, None])  # (B, 3, 64, 64)
        err_fake = bce(fwd(self.D, fake.detach()).view(-1).float(), zeros)
        err_fake.backward()
        self.opt_d.step()
        self.G.zero_grad()
        if z_g is not None:
            fake = fwd(self.G, z_g[:, :, None, None])
        err_g = bce(fwd(self.D, fake).view(-1).float(), ones)  # D's weights get gradients too
        err_g.backward()
        self.opt_g.step()
        return (err_real + err_fake).detach(), err_g.detach()


# --- ganlab's DCGAN, same layer shapes ---------------------------------------------------------


class OneBatch:
    """A sampler that returns one synthetic batch kept on the device (no data loading)."""

    def __init__(self, x: Tensor) -> None:
        self.x = x

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return self.x[:n]


def ganlab_game(width: int = 64, seed: int = 0, exact: bool = False):
    """ganlab's DCGAN; `exact`: without the 68 conv biases the reference lacks (`conv_bias=False`)."""
    return variants.build("gan", (NC, 64, 64), nz=NZ, width=width, seed=seed, conv_bias=not exact)


def ganlab_trainer(real: Tensor, width: int = 64, exact: bool = False, **levers) -> Trainer:
    """ganlab's DCGAN on one batch; `exact`: without the biases the reference lacks."""
    cfg = TrainConfig(steps=10**9, batch=real.shape[0], device=str(real.device), ema_decay=0.0,
                      progress=False, log_every=10**6, **levers)
    return Trainer(ganlab_game(width, exact=exact), OneBatch(real), cfg)


def copy_reference_weights(ref: Reference, game) -> None:
    """Load the reference's conv and BN weights into ganlab's nets (extra biases set to 0)."""
    for src, dst in ((ref.G, game.nets["G"]), (ref.D, game.nets["D"])):
        kinds = (nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d)
        a = [m for m in src.modules() if isinstance(m, kinds)]
        b = [m for m in dst.modules() if isinstance(m, kinds)]
        assert [type(m) for m in a] == [type(m) for m in b], "layer lists differ"
        with torch.no_grad():
            for ma, mb in zip(a, b):
                mb.weight.copy_(ma.weight)
                if isinstance(ma, nn.BatchNorm2d):
                    mb.bias.copy_(ma.bias)
                    mb.running_mean.copy_(ma.running_mean)
                    mb.running_var.copy_(ma.running_var)
                elif mb.bias is not None:
                    mb.bias.zero_()


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


# --- FLOPs from the layer shapes -----------------------------------------------------------


def conv_flops(net: nn.Module, x: Tensor) -> int:
    """2 x multiply-adds of every (transposed) convolution for one forward of x."""
    total = 0

    def hook(m, inp, out):
        nonlocal total
        k = m.kernel_size[0] * m.kernel_size[1] * m.in_channels * m.out_channels // m.groups
        if isinstance(m, nn.ConvTranspose2d):
            total += 2 * k * inp[0].shape[0] * inp[0].shape[2] * inp[0].shape[3]  # per input pixel
        else:
            total += 2 * k * out.shape[0] * out.shape[2] * out.shape[3]  # per output pixel

    hs = [m.register_forward_hook(hook) for m in net.modules()
          if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad():
        net(x)
    for h in hs:
        h.remove()
    return total


def step_flops(batch: int) -> dict[str, float]:
    """FLOPs of one step of each: a forward F, backward 2F (1F for input gradients only)."""
    g, d = RefGenerator(), RefDiscriminator()
    fg = conv_flops(g, torch.zeros(1, NZ, 1, 1)) * batch
    fd = conv_flops(d, torch.zeros(1, NC, 64, 64)) * batch
    # reference: G fwd+bwd; D three times fwd + bwd with weight gradients
    ref = 3 * fg + 3 * (3 * fd)
    # ganlab: G no-grad fwd + G fwd+bwd; D phase 2 x (fwd+bwd); G phase D fwd + input-grad bwd
    ours = (fg + 3 * fg) + 2 * (3 * fd) + 2 * fd
    return {"reference": ref, "ganlab": ours, "G_fwd": fg, "D_fwd": fd}


def peak_flops(device: torch.device, dtype: torch.dtype, n: int, reps: int = 3) -> float:
    """Best FLOP/s of an (n, n) @ (n, n) matmul. On CUDA the fp32 peak is TF32's, since
    cuDNN runs fp32 convolutions in TF32 by default (torch.backends.cudnn.allow_tf32)."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    old = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32
    try:
        a @ b
        best = float("inf")
        for _ in range(reps):
            sync(device)
            t0 = time.perf_counter()
            a @ b
            sync(device)
            best = min(best, time.perf_counter() - t0)
    finally:
        torch.backends.cuda.matmul.allow_tf32 = old
    return 2 * n**3 / best


# --- timing ----------------------------------------------------------------------------------


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed_steps(step, n: int, device: torch.device) -> float:
    """Seconds per step over n steps."""
    sync(device)
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    sync(device)
    return (time.perf_counter() - t0) / n


def race(steps: dict[str, callable], iters: int, rounds: int, warmup: int,
         device: torch.device, once: frozenset[str] = frozenset()) -> dict[str, float]:
    """Best seconds per step of each, rounds alternating so that noise hits all alike;
    the entries in `once` get one warm-up step and one timed step (too slow for more)."""
    for k, fn in steps.items():
        timed_steps(fn, 1 if k in once else warmup, device)
    best = {k: timed_steps(fn, 1, device) if k in once else float("inf")
            for k, fn in steps.items()}
    for _ in range(rounds):
        for k, fn in steps.items():
            if k not in once:
                best[k] = min(best[k], timed_steps(fn, iters, device))
    return best


def reference_stepper(real: Tensor, amp: bool = False, channels_last: bool = False):
    ref = Reference.build(real.device)
    if channels_last:
        ref.G.to(memory_format=torch.channels_last)
        ref.D.to(memory_format=torch.channels_last)
        real = real.contiguous(memory_format=torch.channels_last)
    gen = torch.Generator(real.device).manual_seed(1)

    def step():
        z = torch.randn(real.shape[0], NZ, device=real.device, generator=gen)
        ref.step(real, z, amp=amp)
    return step


def dcgan_table(device: torch.device, batches: list[int], iters: int, rounds: int,
                warmup: int, peak32: float) -> list[str]:
    rows = ["| batch | reference img/s | ganlab img/s | ganlab / reference | MFU reference "
            "| MFU ganlab |", "|---|---|---|---|---|---|"]
    for b in batches:
        real = torch.rand(b, NC, 64, 64, device=device) * 2 - 1
        t = ganlab_trainer(real)
        sec = race({"reference": reference_stepper(real), "ganlab": t.train_step},
                   iters, rounds, warmup, device)
        fl = step_flops(b)
        rows.append(f"| {b} | {b / sec['reference']:,.1f} | {b / sec['ganlab']:,.1f} | "
                    f"{sec['reference'] / sec['ganlab']:.2f}x | "
                    f"{100 * fl['reference'] / sec['reference'] / peak32:.1f}% | "
                    f"{100 * fl['ganlab'] / sec['ganlab'] / peak32:.1f}% |")
        print(rows[-1], flush=True)
    return rows


LEVERS = {
    "default (fp32)": {},
    "channels_last": {"channels_last": True},
    "fused_optimizer": {"fused_optimizer": True},
    "amp (bf16 autocast)": {"amp": True},
    "compile": {"compile": True},
    "cuda_graphs": {"cuda_graphs": True},  # CUDA only
    "channels_last + amp + fused": {"channels_last": True, "amp": True, "fused_optimizer": True},
}


def lever_table(device: torch.device, batch: int, iters: int, rounds: int, warmup: int,
                peaks: dict[torch.dtype, float], levers: list[str]) -> list[str]:
    """Each lever alone on ganlab's step (and the reference with the same lever where it has one)."""
    real = torch.rand(batch, NC, 64, 64, device=device) * 2 - 1
    steps, compile_s = {}, {}
    for name in levers:
        t0 = time.perf_counter()
        t = ganlab_trainer(real, **LEVERS[name])
        t.train_step()  # first step: compilation, if any
        sync(device)
        compile_s[name] = time.perf_counter() - t0
        steps[name] = t.train_step
    steps["reference fp32"] = reference_stepper(real)
    steps["reference bf16 autocast"] = reference_stepper(real, amp=True)
    steps["reference channels_last"] = reference_stepper(real, channels_last=True)
    # a CPU without bf16 units emulates it, ~20x slower: time those rows once
    slow = peaks[torch.bfloat16] < peaks[torch.float32] / 4
    once = frozenset(k for k in steps if slow and ("amp" in k or "bf16" in k))
    sec = race(steps, iters, rounds, warmup, device, once)
    base = sec["default (fp32)"] if "default (fp32)" in sec else sec["reference fp32"]
    fl = step_flops(batch)
    rows = [f"| lever (batch {batch}) | img/s | vs ganlab default | MFU | first step (s) |",
            "|---|---|---|---|---|"]
    for name, s in sec.items():
        amp = "amp" in name or "bf16" in name
        flops = fl["reference" if name.startswith("reference") else "ganlab"]
        # a CPU without bf16 units runs bf16 on its fp32 units: the larger peak is the bound
        peak = max(peaks[torch.float32], peaks[torch.bfloat16] if amp else 0.0)
        first = f"{compile_s[name]:.1f}" if name in compile_s else "-"
        rows.append(f"| {name} | {batch / s:,.1f} | {base / s:.2f}x | {100 * flops / s / peak:.1f}% "
                    f"| {first} |")
        print(rows[-1], flush=True)
    return rows


def style_table(device: torch.device, size: int, batch: int, iters: int) -> list[str]:
    """StyleGAN2-style step (ganlab.style defaults: width 32, w_dim 32) on 3-channel images."""
    real = torch.rand(batch, NC, size, size, device=device) * 2 - 1
    rows = [f"| StyleGAN2 step ({size}x{size}, batch {batch}) | img/s | s/step |", "|---|---|---|"]
    for label, opts, n in (("D + G phases (R1 and path length off)", dict(r1=0.0, pl_weight=0.0),
                            iters),
                           ("with lazy R1 (every 16) and path length (every 4), 16-step mean", {},
                            16)):
        game = variants.build("stylegan2", (NC, size, size), **opts)
        cfg = TrainConfig(steps=10**9, batch=batch, device=str(device), progress=False,
                          log_every=10**6)
        t = Trainer(game, OneBatch(real), cfg)
        if n == iters:
            t.train_step()  # warm-up
        s = timed_steps(t.train_step, n, device)
        rows.append(f"| {label} | {batch / s:,.1f} | {s:.3f} |")
        print(rows[-1], flush=True)
    return rows


def metrics_table(device: torch.device, n_digits: int, n_inception: int) -> list[str]:
    """The metrics' feature pass (images/s) and FID on the features (seconds)."""
    from ganlab.features import FeatureExtractor, InceptionV3, load_digits_net
    from ganlab.metrics.fid import fid

    rows = ["| metric stage | images | img/s | seconds |", "|---|---|---|---|"]
    digits = load_digits_net().to(device)
    x = torch.rand(n_digits, 1, 16, 16) * 2 - 1
    y = torch.rand(n_digits, 1, 16, 16) * 2 - 1
    digits.features(x[:64])  # warm-up
    t0 = time.perf_counter()
    fx, fy = digits.features(x), digits.features(y)
    t_feat = time.perf_counter() - t0
    t0 = time.perf_counter()
    fid(fx.double().numpy(), fy.double().numpy())
    t_fid = time.perf_counter() - t0
    rows.append(f"| digits net features (16x16 grey, 64-d) | {2 * n_digits:,} | "
                f"{2 * n_digits / t_feat:,.0f} | {t_feat:.2f} |")
    rows.append(f"| FID of those features (2 x {n_digits:,} x 64) | - | - | {t_fid:.3f} |")
    # Inception-v3 with random weights: the FID network's cost, not its numbers
    inc = FeatureExtractor(InceptionV3(), 3, 299, "inception (random weights)", batch_size=50)
    inc = inc.to(device)
    imgs = torch.rand(n_inception, 3, 64, 64) * 2 - 1

    def inception_pass(x: Tensor) -> Tensor:
        with torch.no_grad():
            return torch.cat([inc.net(F.interpolate(b.to(device), size=(299, 299), mode="bilinear",
                                                    align_corners=False)).cpu()
                              for b in x.split(inc.batch_size)])

    inception_pass(imgs[:2])
    sync(device)
    t0 = time.perf_counter()
    inception_pass(imgs)
    sync(device)
    t_inc = time.perf_counter() - t0
    rows.append(f"| Inception-v3 features (64x64 RGB resized to 299, 2048-d) | {n_inception:,} | "
                f"{n_inception / t_inc:,.1f} | {t_inc:.2f} |")
    for r in rows[2:]:
        print(r, flush=True)
    return rows


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--batches", default=None, help="comma list; default 64,128,512 on CUDA, "
                   "16,64,128 on CPU")
    p.add_argument("--iters", type=int, default=None, help="timed steps per round (CUDA 50, CPU 3)")
    p.add_argument("--rounds", type=int, default=None, help="alternating rounds (CUDA 3, CPU 3)")
    p.add_argument("--lever-batch", type=int, default=None, help="batch of the lever table "
                   "(CUDA 128, CPU 16)")
    p.add_argument("--levers", default=None,
                   help=f"comma list of lever rows from {list(LEVERS)}; default all on CUDA, "
                        f"on CPU all but cuda_graphs and the combination (bf16 is slow there)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--write", action="store_true", help="write the tables into benchmarks/README.md")
    a = p.parse_args()
    device = torch.device(a.device)
    cuda = device.type == "cuda"
    if a.threads:
        torch.set_num_threads(a.threads)
    if cuda:
        torch.backends.cudnn.benchmark = True  # as the reference example does
    batches = [int(b) for b in (a.batches or ("64,128,512" if cuda else "16,64,128")).split(",")]
    iters, rounds = a.iters or (50 if cuda else 3), a.rounds or 3
    warmup = 10 if cuda else 1
    lever_batch = a.lever_batch or (128 if cuda else 16)
    levers = a.levers.split(",") if a.levers else \
        [k for k in LEVERS if cuda or k not in ("cuda_graphs", "channels_last + amp + fused")]

    ref, game = Reference.build(torch.device("cpu")), ganlab_game()
    params = (f"parameters: reference G {n_params(ref.G):,}, D {n_params(ref.D):,}; ganlab G "
              f"{n_params(game.nets['G']):,}, D {n_params(game.nets['D']):,} (the difference: "
              f"ganlab's biases on G's output conv, D's input conv and D's head)")
    print(params)
    fl = step_flops(1)
    flops_line = (f"FLOPs per image and step (convolutions): reference {fl['reference'] / 1e9:.2f} G, "
                  f"ganlab {fl['ganlab'] / 1e9:.2f} G (G forward {fl['G_fwd'] / 1e9:.3f} G, "
                  f"D forward {fl['D_fwd'] / 1e9:.3f} G)")
    print(flops_line)
    n = {torch.float32: 8192 if cuda else 2048, torch.bfloat16: 8192 if cuda else 512}
    peaks = {dt: peak_flops(device, dt, n[dt]) for dt in n}
    peak_line = (f"measured matmul peak: fp32 {peaks[torch.float32] / 1e9:,.1f} GFLOP/s "
                 f"({n[torch.float32]}^2), bf16 {peaks[torch.bfloat16] / 1e9:,.1f} GFLOP/s "
                 f"({n[torch.bfloat16]}^2)")
    print(peak_line, flush=True)

    t0 = time.perf_counter()
    main_rows = dcgan_table(device, batches, iters, rounds, warmup, peaks[torch.float32])
    lever_rows = lever_table(device, lever_batch, iters, rounds, warmup, peaks, levers)
    style_rows = style_table(device, 64 if cuda else 16, 32 if cuda else 8, 10 if cuda else 2)
    metric_rows = metrics_table(device, 10000 if cuda else 2000, 512 if cuda else 16)
    total = time.perf_counter() - t0
    again = {dt: peak_flops(device, dt, n[dt]) for dt in n}  # a busy machine depresses one
    rose = ""
    if any(again[dt] > peaks[dt] * 1.1 for dt in n):
        rose = (f" The matmul peak rose to fp32 {again[torch.float32] / 1e9:,.1f} GFLOP/s by the end "
                f"of the run (a busy machine): the MFUs are against the first, lower peak.")
        print(rose)

    name = torch.cuda.get_device_name(device) if cuda else f"a {os.cpu_count()}-core CPU, no GPU"
    cmd = "python benchmarks/throughput.py --device " + a.device + (
        f" --levers '{a.levers}'" if a.levers else "") + (f" --batches {a.batches}" if a.batches else "")
    text = "\n".join([
        f"Measured {datetime.date.today()} on {name}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads; `{cmd}` ({total / 60:.1f} min). {params}. "
        f"{flops_line}; {peak_line}. Best of {rounds} alternating rounds of {iters} steps.{rose}",
        "", *main_rows, "", *lever_rows, "", *style_rows, "", *metric_rows])
    if a.write:
        readme = Path(__file__).with_name("README.md")
        body = readme.read_text()
        pattern = re.compile(r"(<!-- throughput:start -->\n).*?(<!-- throughput:end -->)", re.S)
        if not pattern.search(body):
            raise SystemExit("benchmarks/README.md has no throughput markers; add "
                             "<!-- throughput:start --> and <!-- throughput:end --> first")
        readme.write_text(pattern.sub(lambda m: m.group(1) + text + "\n" + m.group(2), body))


if __name__ == "__main__":
    main()
