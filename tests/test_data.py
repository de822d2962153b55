"""Tests for ganlab.data: toy mixtures against hand-written means and a float64 scipy
reference, embedded image sets, and the folder / IDX loaders on files the tests write."""

from __future__ import annotations

import gzip
import math
import struct

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.special import logsumexp
from scipy.stats import norm

from ganlab import data as D

# ----------------------------------------------------------------------- mixtures


def test_ring_means_exact():
    s = math.sqrt(0.5)
    expected = torch.tensor([[1, 0], [s, s], [0, 1], [-s, s], [-1, 0], [-s, -s], [0, -1],
                             [s, -s]], dtype=torch.float32)
    m = D.ring()
    torch.testing.assert_close(m.means, expected, atol=1e-7, rtol=0)
    assert (m.k, m.dim, m.sigma) == (8, 2, 0.01)


def test_grid_means_exact():
    vals = [-4.0, -2.0, 0.0, 2.0, 4.0]
    expected = torch.tensor([[a, b] for a in vals for b in vals])
    m = D.grid()
    torch.testing.assert_close(m.means, expected, atol=0, rtol=0)
    assert (m.k, m.dim, m.sigma) == (25, 2, 0.05)


def test_two_gaussians_1d():
    m = D.two_gaussians_1d()
    torch.testing.assert_close(m.means, torch.tensor([[-2.0], [2.0]]))
    assert (m.dim, m.sigma) == (1, 0.5)


@pytest.mark.parametrize("mixture", [D.ring(), D.grid()], ids=["ring", "grid"])
def test_mixture_samples_per_mode_std_and_weights(mixture):
    g = torch.Generator().manual_seed(0)
    x = mixture.sample(50_000, generator=g)  # (n, 2)
    assert x.shape == (50_000, 2) and x.dtype == torch.float32
    nearest = torch.cdist(x, mixture.means).argmin(dim=1)  # modes are >> sigma apart
    counts = torch.bincount(nearest, minlength=mixture.k).double()
    expected = 50_000 / mixture.k
    # binomial std of a count is sqrt(n p (1-p)) < sqrt(expected); allow 5 of them
    assert (counts - expected).abs().max() < 5 * math.sqrt(expected)
    for k in range(mixture.k):
        dev = (x[nearest == k] - mixture.means[k]).double()  # (n_k, 2)
        std = dev.pow(2).mean().sqrt().item()
        assert abs(std / mixture.sigma - 1) < 0.05, (k, std)
        assert dev.mean(0).abs().max() < 5 * mixture.sigma / math.sqrt(len(dev))


def test_mixture_sample_is_reproducible_with_generator():
    a = D.ring().sample(100, generator=torch.Generator().manual_seed(3))
    b = D.ring().sample(100, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, b, atol=0, rtol=0)


def _log_prob_reference(x: np.ndarray, means: np.ndarray, sigma: float) -> np.ndarray:
    """float64: log(1/K sum_k prod_j N(x_j; mu_kj, sigma))."""
    comp = norm.logpdf(x[:, None, :], loc=means[None], scale=sigma).sum(-1)  # (n, K)
    return logsumexp(comp, axis=1) - math.log(len(means))


@pytest.mark.parametrize("mixture", [D.ring(), D.grid(), D.two_gaussians_1d(),
                                     D.Mixture(torch.randn(3, 4), 0.7)],
                         ids=["ring", "grid", "1d", "4d"])
def test_log_prob_matches_float64_reference(mixture):
    g = torch.Generator().manual_seed(1)
    x = torch.cat([mixture.sample(200, generator=g),
                   3 * torch.randn(50, mixture.dim, generator=g)])  # on and off the modes
    ref = _log_prob_reference(x.double().numpy(), mixture.means.double().numpy(),
                              mixture.sigma)
    torch.testing.assert_close(mixture.log_prob(x).double(), torch.from_numpy(ref),
                               rtol=1e-5, atol=1e-4)


def test_log_prob_bad_shape():
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        D.ring().log_prob(torch.zeros(5, 3))


@pytest.mark.parametrize("sampler", [D.SWISS_ROLL, D.TWO_MOONS])
def test_curve_samplers(sampler):
    x = sampler.sample(2000, generator=torch.Generator().manual_seed(0))
    y = sampler.sample(2000, generator=torch.Generator().manual_seed(0))
    assert x.shape == (2000, 2)
    torch.testing.assert_close(x, y, atol=0, rtol=0)
    assert x.abs().max() < 1.8


def test_swiss_roll_noiseless_on_curve():
    x = D.swiss_roll(500, noise=0.0, generator=torch.Generator().manual_seed(0)).double()
    t = x.norm(dim=1) * 3 * math.pi  # |t (cos t, sin t)| = t
    assert t.min() >= 1.5 * math.pi - 1e-4 and t.max() <= 4.5 * math.pi + 1e-4
    torch.testing.assert_close(x * 3 * math.pi, torch.stack([t * t.cos(), t * t.sin()], 1),
                               atol=1e-4, rtol=0)


def test_two_moons_noiseless_on_circles():
    x = D.two_moons(1000, noise=0.0, generator=torch.Generator().manual_seed(0)).double()
    x = x + torch.tensor([0.5, 0.25], dtype=torch.float64)  # sklearn's uncentred frame
    r_outer = x.norm(dim=1)
    r_inner = (x - torch.tensor([1.0, 0.5], dtype=torch.float64)).norm(dim=1)
    outer = (r_outer - 1).abs() < 1e-5
    assert torch.all(outer | ((r_inner - 1).abs() < 1e-5))
    assert torch.all(x[outer, 1] >= -1e-6) and torch.all(x[~outer, 1] <= 0.5 + 1e-6)
    assert 400 < outer.sum() < 600


# ------------------------------------------------------------------ array datasets


def test_array_dataset():
    x = torch.randn(5, 1, 4, 4)
    ds = D.ArrayDataset(x)
    assert len(ds) == 5 and ds.shape == (1, 4, 4)
    xi, yi = ds[2]
    torch.testing.assert_close(xi, x[2])
    assert yi.item() == -1 and ds.y.dtype == torch.long
    with pytest.raises(ValueError, match="same length"):
        D.ArrayDataset(x, torch.zeros(4))


@pytest.mark.parametrize("size", [8, 16, 32])
def test_digits_shapes_range_labels(size):
    ds = D.digits(size)
    assert ds.x.shape == (1797, 1, size, size) and ds.x.dtype == torch.float32
    assert ds.y.dtype == torch.long and set(ds.y.tolist()) == set(range(10))
    assert ds.x.min() == -1 and ds.x.max() <= 1


def test_digits_native_values():
    from sklearn.datasets import load_digits

    ref = load_digits()
    ds = D.digits(8)
    torch.testing.assert_close(ds.x[:, 0], torch.tensor(ref.images / 8 - 1, dtype=torch.float32))
    assert ds.x.max() == 1  # some pixel is 16
    torch.testing.assert_close(ds.y, torch.tensor(ref.target))


def test_digits_upsampling_is_bilinear():
    x8 = D.digits(8).x[:3]
    x16 = D.digits(16).x[:3]
    expected = torch.nn.functional.interpolate(x8, size=(16, 16), mode="bilinear",
                                               align_corners=False)
    torch.testing.assert_close(x16, expected)


def test_digits_splits():
    full, train, test = D.digits(8), D.digits(8, "train"), D.digits(8, "test")
    assert len(train) + len(test) == len(full) == 1797
    assert abs(len(test) - 0.2 * 1797) <= 1
    key = {x.numpy().tobytes(): i for i, x in enumerate(full.x)}
    assert len(key) == len(full)  # every image is distinct, so bytes identify the index
    train_idx = {key[x.numpy().tobytes()] for x in train.x}
    test_idx = {key[x.numpy().tobytes()] for x in test.x}
    assert not train_idx & test_idx
    frac_full = torch.bincount(full.y, minlength=10) / len(full)
    frac_test = torch.bincount(test.y, minlength=10) / len(test)
    assert (frac_full - frac_test).abs().max() < 0.01  # stratified
    torch.testing.assert_close(D.digits(8, "test").x, test.x)  # deterministic
    assert not torch.equal(D.digits(8, "test", seed=1).x, test.x)
    with pytest.raises(ValueError, match="split"):
        D.digits(16, "val")
    with pytest.raises(ValueError, match="size"):
        D.digits(20)


def test_stacked_digits_labels_match_channels():
    size = 8
    base = D.digits(size, "train")
    labels_of = {}
    for x, y in zip(base.x, base.y):
        labels_of.setdefault(x.numpy().tobytes(), set()).add(int(y))
    ds = D.stacked_digits(300, size=size, seed=0)
    assert ds.x.shape == (300, 3, size, size) and ds.y.max() <= 999
    for x, y in zip(ds.x, ds.y):
        digs = (int(y) // 100, int(y) // 10 % 10, int(y) % 10)
        for c in range(3):
            assert digs[c] in labels_of[x[c].numpy().tobytes()]
    assert len(set(D.stacked_digits(5000, size=size).y.tolist())) > 950  # ~1000 modes
    torch.testing.assert_close(D.stacked_digits(50, size=size, seed=0).x, ds.x[:50])


def test_faces_and_non_faces():
    from skimage.data import lfw_subset

    f, nf = D.faces(), D.non_faces()
    assert f.x.shape == (100, 1, 32, 32) and nf.x.shape == (100, 1, 32, 32)
    for ds in (f, nf):
        assert ds.x.min() >= -1 and ds.x.max() <= 1
    native = torch.tensor(lfw_subset()[:100], dtype=torch.float32)[:, None] * 2 - 1
    torch.testing.assert_close(D.faces(25).x, native)
    train, test = D.faces(16, "train"), D.faces(16, "test")
    assert (len(train), len(test)) == (80, 20)
    assert not {t.numpy().tobytes() for t in train.x} & {t.numpy().tobytes() for t in test.x}


@pytest.mark.parametrize("name", D.PHOTOS)
def test_photo(name):
    x = D.photo(name, size=48)
    assert x.shape == (3, 48, 48) and x.dtype == torch.float32
    assert x.min() >= -1 and x.max() <= 1 and x.std() > 0.05
    assert D.photo(name, size=24, grey=True).shape == (1, 24, 24)


def test_photo_native_values():
    import skimage.data

    ref = torch.tensor(skimage.data.astronaut(), dtype=torch.float32).permute(2, 0, 1)
    torch.testing.assert_close(D.photo("astronaut"), ref / 127.5 - 1)


@pytest.mark.parametrize("name", D.TEXTURES)
def test_texture(name):
    assert D.texture(name).shape == (1, 512, 512)
    x = D.texture(name, size=40)
    assert x.shape == (1, 40, 40) and x.min() >= -1 and x.max() <= 1


def test_unknown_photo_lists_names():
    with pytest.raises(ValueError, match="astronaut.*rocket"):
        D.photo("lena")
    with pytest.raises(ValueError, match="grass.*brick"):
        D.texture("marble")


# ---------------------------------------------------------------------- ImageFolder


def test_image_folder_solid_colour_rgb_and_grey(tmp_path):
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    Image.new("RGB", (60, 40), (255, 0, 51)).save(sub / "solid.png")
    Image.new("L", (20, 30), 102).save(tmp_path / "grey.jpg", quality=100)
    (tmp_path / "notes.txt").write_text("not an image")
    ds = D.ImageFolder(tmp_path, size=16)
    assert len(ds) == 2 and ds.shape == (3, 16, 16)
    assert [p.name for p in ds.paths] == ["solid.png", "grey.jpg"]  # sorted: a/b/... < grey
    x, y = ds[0]
    assert y == -1 and x.shape == (3, 16, 16) and x.dtype == torch.float32
    expected = torch.tensor([255, 0, 51], dtype=torch.float32) / 127.5 - 1
    torch.testing.assert_close(x, expected[:, None, None].expand(3, 16, 16))
    g, _ = D.ImageFolder(tmp_path, size=8, channels=1)[1]
    torch.testing.assert_close(g, torch.full((1, 8, 8), 102 / 127.5 - 1), atol=2 / 127.5,
                               rtol=0)  # JPEG may move a flat value by a level


def test_image_folder_centre_crop_orientation(tmp_path):
    # a 40x24 (W x H) image whose shorter side is already 24: only a centre crop,
    # columns 8..31, so the result is exactly that slice of the array
    a = np.zeros((24, 40, 3), dtype=np.uint8)
    a[..., 0] = np.arange(40, dtype=np.uint8)[None, :] * 6  # R increases left -> right
    a[..., 1] = np.arange(24, dtype=np.uint8)[:, None] * 10  # G increases top -> bottom
    Image.fromarray(a).save(tmp_path / "grad.png")
    x, _ = D.ImageFolder(tmp_path, size=24)[0]
    expected = torch.from_numpy(a[:, 8:32].astype(np.float32)).permute(2, 0, 1) / 127.5 - 1
    torch.testing.assert_close(x, expected, atol=0, rtol=0)


def test_image_folder_resize_keeps_orientation(tmp_path):
    a = np.zeros((64, 96), dtype=np.uint8)
    a[:, :] = np.linspace(0, 255, 96).astype(np.uint8)[None, :]  # bright on the right
    a[:8, :] = 0  # dark band on top
    Image.fromarray(a).save(tmp_path / "g.png")
    x, _ = D.ImageFolder(tmp_path, size=16, channels=1)[0]
    assert x.shape == (1, 16, 16)
    row = x[0, 8]
    assert torch.all(row[1:] >= row[:-1]) and row[-1] - row[0] > 0.5  # still increases
    assert x[0, 0].mean() < x[0, 8].mean()  # dark band still on top
    # the crop keeps the middle 64 of the 96 columns: it starts near 16/96 of full range
    assert abs((row[0].item() + 1) / 2 - 16 / 96) < 0.05


def test_image_folder_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        D.ImageFolder(tmp_path / "missing", size=8)
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(ValueError, match=r"no images.*\.png"):
        D.ImageFolder(tmp_path, size=8)
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="bad.png"):
        D.ImageFolder(tmp_path, size=8)[0]


def test_image_folder_strict_size(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "ok.png")
    assert len(D.ImageFolder(tmp_path, size=8, strict_size=True)) == 1
    with pytest.raises(ValueError, match="ok.png.*channel"):
        D.ImageFolder(tmp_path, size=8, channels=1, strict_size=True)
    Image.new("RGB", (9, 8)).save(tmp_path / "wide.png")
    with pytest.raises(ValueError, match="wide.png.*9x8"):
        D.ImageFolder(tmp_path, size=8, strict_size=True)
    assert len(D.ImageFolder(tmp_path, size=8)) == 2  # not strict: resized and cropped


# -------------------------------------------------------------------------- IDX


def _write_idx(path, arr: np.ndarray, code: int, fmt: str, compress=False):
    raw = struct.pack(">BBBB", 0, 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    raw += struct.pack(f">{arr.size}{fmt}", *arr.reshape(-1).tolist())
    path.write_bytes(gzip.compress(raw) if compress else raw)


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_ubyte_and_gzip(tmp_path, compress):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, size=(6, 28, 28), dtype=np.uint8)
    p = tmp_path / ("t-images-idx3-ubyte" + (".gz" if compress else ""))
    _write_idx(p, imgs, 0x08, "B", compress)
    np.testing.assert_array_equal(D.read_idx(p), imgs)


@pytest.mark.parametrize("code,fmt,dtype", [(0x0B, "h", np.int16), (0x0C, "i", np.int32),
                                            (0x0D, "f", np.float32), (0x0E, "d", np.float64)])
def test_read_idx_other_dtypes_big_endian(tmp_path, code, fmt, dtype):
    arr = np.array([[1, -2, 300], [4, 5, -60000 if code != 0x0B else -600]], dtype=dtype)
    _write_idx(tmp_path / "a.idx", arr, code, fmt)
    out = D.read_idx(tmp_path / "a.idx")
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, arr)


def test_read_idx_errors(tmp_path):
    p = tmp_path / "bad"
    p.write_bytes(b"\x01\x02\x08\x01" + struct.pack(">I", 3) + b"abc")
    with pytest.raises(ValueError, match="magic"):
        D.read_idx(p)
    p.write_bytes(b"\x00\x00\x08\x01" + struct.pack(">I", 5) + b"abc")
    with pytest.raises(ValueError, match="truncated"):
        D.read_idx(p)
    with pytest.raises(ValueError, match="does not exist"):
        D.read_idx(tmp_path / "nope")


def test_mnist_idx_and_load(tmp_path):
    rng = np.random.default_rng(1)
    imgs = rng.integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    imgs[0, 0, 0], imgs[0, 0, 1] = 0, 255
    labels = rng.integers(0, 10, size=7, dtype=np.uint8)
    ip, lp = tmp_path / "train-images-idx3-ubyte.gz", tmp_path / "train-labels-idx1-ubyte.gz"
    _write_idx(ip, imgs, 0x08, "B", compress=True)
    _write_idx(lp, labels, 0x08, "B", compress=True)
    ds = D.mnist_idx(ip, lp)
    assert ds.x.shape == (7, 1, 28, 28) and ds.x.min() == -1 and ds.x.max() == 1
    torch.testing.assert_close(ds.x[:, 0], torch.tensor(imgs / 127.5 - 1, dtype=torch.float32))
    torch.testing.assert_close(ds.y, torch.tensor(labels, dtype=torch.long))
    assert D.mnist_idx(ip, size=16).x.shape == (7, 1, 16, 16)
    loaded = D.load(str(ip))
    assert isinstance(loaded, D.ArrayDataset)
    torch.testing.assert_close(loaded.y, ds.y)
    with pytest.raises(ValueError, match="labels"):
        D.mnist_idx(ip, ip)


# -------------------------------------------------------------------------- load


def test_datasets_registry_names():
    for name in ["ring", "grid", "two_gaussians_1d", "swiss_roll", "two_moons", "digits",
                 "digits32", "stacked_digits", "faces"]:
        assert name in D.DATASETS
    assert any("folder" in k or "folder" in v for k, v in D.DATASETS.items())


@pytest.mark.parametrize("name", ["ring", "grid", "two_gaussians_1d", "swiss_roll",
                                  "two_moons"])
def test_load_toys(name):
    toy = D.load(name)
    x = toy.sample(10, generator=torch.Generator().manual_seed(0))
    assert x.shape == (10, 1 if name == "two_gaussians_1d" else 2)


@pytest.mark.parametrize("name,shape,n", [("digits", (1, 16, 16), 1797),
                                          ("digits32", (1, 32, 32), 1797),
                                          ("stacked_digits", (3, 16, 16), 10000),
                                          ("faces", (1, 32, 32), 100),
                                          ("non_faces", (1, 32, 32), 100)])
def test_load_images(name, shape, n):
    ds = D.load(name)
    assert isinstance(ds, D.ArrayDataset) and ds.shape == shape and len(ds) == n


def test_load_size_channels_and_folder(tmp_path):
    assert D.load("digits", size=32).shape == (1, 32, 32)
    with pytest.raises(ValueError, match="channel"):
        D.load("digits", channels=3)
    Image.new("RGB", (50, 40), (10, 20, 30)).save(tmp_path / "im.png")
    ds = D.load(tmp_path)
    assert isinstance(ds, D.ImageFolder) and ds[0][0].shape == (3, 32, 32)
    assert D.load(str(tmp_path), size=8, channels=1)[0][0].shape == (1, 8, 8)


def test_load_unknown_name():
    with pytest.raises(ValueError, match="digits.*folder"):
        D.load("cifar10")
