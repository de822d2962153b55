"""Issue 19, items 5 and 6: the data loaders and the metrics refuse nonsense with clear errors,
and 16-bit images keep their values."""

import gzip

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from ganlab import data, metrics
from ganlab.features import FeatureExtractor, InceptionFeatures

RNG = np.random.default_rng(0)
X = RNG.standard_normal((60, 4))
Y = RNG.standard_normal((60, 4)) + 0.5


def test_zero_width_features_are_refused():
    empty = np.zeros((10, 0))
    for fn in (metrics.fid, metrics.kid, metrics.precision_recall, metrics.classifier_two_sample_test):
        with pytest.raises(ValueError, match="zero-width"):
            fn(empty, empty)


def test_overflowing_features_are_refused_not_nan():
    with pytest.raises(ValueError, match="KID overflowed.*standardise"):
        metrics.kid(X * 1e120, Y * 1e120, subsets=2, subset_size=20)
    with pytest.raises(ValueError, match="overflowed"):
        metrics.fid(X * 1e160, Y)
    with pytest.raises(ValueError, match="overflowed"):
        metrics.fid(X[:3] * 1e160, Y[:3])  # the N <= d path
    mean, _ = metrics.kid(X * 1e3, Y * 1e3, subsets=2, subset_size=20)  # large but finite: works
    assert np.isfinite(mean) and mean > 0


def test_frechet_distance_refuses_nan_means_and_non_psd_covariances():
    mu1, s1 = metrics.feature_stats(X)
    mu2, s2 = metrics.feature_stats(Y)
    ref = metrics.frechet_distance(mu1, s1, mu2, s2)
    torch.testing.assert_close(ref, metrics.fid(X, Y), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="means contain NaN"):
        metrics.frechet_distance(mu1 * np.nan, s1, mu2, s2)
    with pytest.raises(ValueError, match="not positive semi-definite"):
        metrics.frechet_distance(mu1, s1 - 2 * np.eye(4) * np.linalg.eigvalsh(s1).max(), mu2, s2)
    with pytest.raises(ValueError, match="not symmetric"):
        metrics.frechet_distance(mu1, s1 + np.triu(np.ones((4, 4)), 1), mu2, s2)
    # a singular PSD covariance (N <= d) is a covariance: accepted, equal to the data path
    few = X[:3]
    mu3, s3 = metrics.feature_stats(few)
    torch.testing.assert_close(metrics.frechet_distance(mu3, s3, mu2, s2), metrics.fid(few, Y),
                               rtol=1e-8, atol=1e-10)


def _inception_like():
    """InceptionFeatures' own input handling around a tiny net (no 100 MB weights needed)."""
    ex = InceptionFeatures.__new__(InceptionFeatures)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    FeatureExtractor.__init__(ex, net, channels=3, size=299, name="inception", batch_size=8)
    ex.value_range = None
    return ex


def test_inception_refuses_images_in_0_1_unless_told():
    ex = _inception_like()
    x01 = torch.rand(4, 3, 16, 16)
    with pytest.raises(ValueError, match=r"looks like images in \[0, 1\]"):
        ex.features(x01)
    converted = ex.features(x01, value_range=(0, 1))
    torch.testing.assert_close(converted, ex.features(x01 * 2 - 1), rtol=0, atol=0)
    as_is = ex.features(x01, value_range=(-1, 1))  # the caller says [-1, 1]: taken as it is
    assert (as_is - converted).abs().max() > 1e-3  # and the two readings differ
    with pytest.raises(ValueError, match="value_range"):
        ex.features(x01, value_range=(0, 255))


def test_sixteen_bit_images_scale_by_bit_depth(tmp_path):
    a = np.full((8, 8), 49151, np.uint16)  # 0.75 of full scale
    Image.fromarray(a).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")
    for channels in (1, 3):
        x, _ = data.ImageFolder(tmp_path, 8, channels)[0]
        torch.testing.assert_close(x, torch.full((channels, 8, 8), 2 * 49151 / 65535 - 1),
                                   rtol=0, atol=1e-6)


def test_unreadable_images_are_skipped_and_named(tmp_path, caplog):
    for i in range(3):
        Image.fromarray(RNG.integers(0, 255, (64, 64), dtype=np.uint8)).save(tmp_path / f"{i}.png")
    (tmp_path / "bad.png").write_bytes(b"not an image")
    good = (tmp_path / "0.png").read_bytes()  # a long IDAT: half of it keeps the header whole
    (tmp_path / "cut.png").write_bytes(good[: len(good) // 2])
    ds = data.ImageFolder(tmp_path, 8, 1)
    assert [p.name for p in ds.skipped] == ["bad.png"] and len(ds) == 4
    assert "skipped 1 unreadable image(s)" in caplog.text and "bad.png" in caplog.text
    cut = [p.name for p in ds.paths].index("cut.png")
    x, _ = ds[cut]  # decoded on first use: skipped, the next readable image comes instead
    torch.testing.assert_close(x, ds[(cut + 1) % len(ds)][0])
    assert "cut.png" in caplog.text and [p.name for p in ds.skipped] == ["bad.png", "cut.png"]
    with pytest.raises(ValueError, match="bad.png|cut.png"):
        data.ImageFolder(tmp_path, 64, 1, strict_size=True)


@pytest.mark.parametrize("damage", ["truncated", "corrupt", "empty"])
def test_bad_gzip_idx_is_a_value_error(tmp_path, damage):
    raw = gzip.compress(b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + bytes(5))
    raw = {"truncated": raw[: len(raw) - 6], "corrupt": raw[:10] + b"\xff" * (len(raw) - 10),
           "empty": raw[:2]}[damage]
    (tmp_path / "x.gz").write_bytes(raw)
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        data.read_idx(tmp_path / "x.gz")
