"""Configs composed from parts (issue 26): each family's config lists the parts it honours, and
a game config stored by the ganlab before the split (every GANConfig-based preset stored all
of the flat GANConfig's fields, honoured or not) still reads back, at the values those fields
always had, and only at those."""

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from ganlab import cli, registry, variants

BEFORE = json.loads((Path(__file__).parent / "game_configs_before_parts.json").read_text())


def _names(cls):
    return [f.name for f in dataclasses.fields(cls)]


def test_parts_are_disjoint_and_gan_config_is_all_of_them():
    seen: list[str] = []
    for part in registry.PARTS:
        seen += _names(part)
    assert len(seen) == len(set(seen))
    assert set(_names(registry.GANConfig)) == set(seen) | {"conditional"}
    assert all(issubclass(registry.GANConfig, p) for p in registry.PARTS)


# a part's field name kept by a config as its own, for what the part's other fields do not fit
OWN = {("rgan", "width"): "its GRUs' hidden size (RGAN's latent is per step: no nz)",
       ("vae", "lr_g"): "the rate of its one team (E, G): no D, no betas, no n_critic"}


def test_a_config_offers_a_part_field_only_through_that_part():
    """A config composed of parts re-declares no other part's field on its own: a field of part
    P is in it only if it is composed of P (one field, one help, one default to override).
    Configs of their own fields alone (pix2pix, transgan, ...) name theirs as they need."""
    owner = {n: p for p in registry.PARTS for n in _names(p)}
    for name in variants.variant_names():
        cls = type(variants.PRESETS[name].config)
        if not any(issubclass(cls, p) for p in registry.PARTS):
            continue
        for f in _names(cls):
            if f in owner and (name, f) not in OWN:
                assert issubclass(cls, owner[f]), (name, f, owner[f].__name__)


def test_the_flat_config_of_before_is_what_gan_config_still_defaults_to():
    flat = {f.name: registry.field_default(f) for f in dataclasses.fields(registry.GANConfig)}
    assert flat == registry.FLAT_GANCONFIG
    for name in ("gan", "collapse-gan", "sagan", "vae", "rgan"):  # GANConfig-based before
        assert set(registry.FLAT_GANCONFIG) <= set(BEFORE[name]), name


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_a_config_stored_before_the_parts_reads_back_to_the_same_options(name):
    old = BEFORE[name]
    opts = registry.stored_options(old)
    ok = registry.honoured(name)
    assert set(opts) == {k for k in ok if k in old}
    for k, v in opts.items():  # the honoured values, lists back to tuples
        want = old[k]
        want = tuple(tuple(x) if isinstance(x, list) else x for x in want) \
            if isinstance(want, list) else want
        assert v == want, (name, k)


@pytest.mark.parametrize("name, key, value", [
    ("sagan", "loss", "nonsaturating"),  # SAGAN's loss was always hinge
    ("collapse-gan", "sn", True),  # never a spectral norm in the benchmark's D
    ("cgan-concat", "conditional", False),  # a class constant of the conditional families
    ("vae", "pixel_weight", 1.0),  # a VAE-GAN option, retired from the VAE's config
    ("flow-mle", "width", 7),  # ignored by the flow without D (a field of its class)
    ("progan", "gp", 1.0),  # fixed at the preset's value
])
def test_a_stored_field_at_another_value_is_refused_naming_it(name, key, value):
    old = dict(BEFORE[name], **{key: value})
    with pytest.raises(ValueError, match=rf"{key}=.*not an option: always.*its options: "):
        registry.stored_options(old)


def test_a_stored_field_no_version_had_is_refused():
    with pytest.raises(ValueError, match=r"cycle=3 \(a field it never had\)"):
        registry.stored_options(dict(BEFORE["gan"], cycle=3))
    with pytest.raises(ValueError, match="unknown variant"):
        registry.stored_options(dict(BEFORE["gan"], variant="no-such-gan"))


def _run(argv):
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(argv)
    return code, err.getvalue()


def test_sample_reads_a_checkpoint_of_before_and_refuses_a_changed_retired_field(tmp_path):
    out = tmp_path / "run"
    code, err = _run(["train", "--variant", "collapse-gan", "--steps", "1", "--batch", "12", "--width",
                      "8", "--g-width", "8", "--out", str(out), "--metrics", "", "--no-progress",
                      "--device", "cpu"])
    assert code == 0, err
    ck = torch.load(out / "last.pt", weights_only=True)
    assert "sn" not in ck["game_config"]  # not one of the benchmark's options any more
    before = {k: v for k, v in BEFORE["collapse-gan"].items() if k not in ck["game_config"]}
    assert {"sn", "r1", "clip", "conditional", "conv_bias", "d_norm"} <= set(before)
    for retired, code_wanted in ((before, 0), ({**before, "sn": True}, 2)):
        ck["game_config"].update(retired)  # as the ganlab before the parts wrote it
        torch.save(ck, tmp_path / "old.pt")
        code, err = _run(["sample", "--ckpt", str(tmp_path / "old.pt"), "--n", "4", "--out",
                          str(tmp_path / "s.png"), "--device", "cpu"])
        assert code == code_wanted, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "sn=True (not an option: always False)" in lines[0], err


@pytest.mark.parametrize("name, shape", [("aae", (1, 16, 16)), ("vaegan", (1, 16, 16)),
                                         ("sagan", (1, 16, 16))])
def test_the_wired_options_reach_the_game(name, shape):
    """aae and vaegan now take the optimizer and n_critic, sagan n_critic (as its D phase's
    repeats); their defaults build the game they built before."""
    base = variants.build(name, shape, seed=0)
    game = variants.build(name, shape, seed=0, n_critic=3,
                          **({} if name == "sagan" else {"optimizer": "sgd"}))
    assert [p.repeats for p in base.phases if p.name == "D"] == [1]
    assert [p.repeats for p in game.phases if p.name == "D"] == [3]
    adv = [k for k in game.teams if k != "AE"]  # aae's reconstruction team keeps Adam
    assert {base.teams[k].optimizer for k in adv} == {"adam"}
    want = "adam" if name == "sagan" else "sgd"
    assert {game.teams[k].optimizer for k in adv} == {want}
    assert all(base.teams[k].optimizer == "adam" for k in base.teams)


def test_columns_puts_batches_side_by_side_in_colour():
    grey = torch.arange(2 * 1 * 2 * 2, dtype=torch.float32).view(2, 1, 2, 2)
    rgb = -torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).view(2, 3, 2, 2)
    out = registry.columns(grey, rgb, grey)
    assert out.shape == (2, 3, 3, 2, 2)
    for i in range(2):
        for c in range(3):
            torch.testing.assert_close(out[i, 0, c], grey[i, 0], rtol=0, atol=0)
            torch.testing.assert_close(out[i, 2, c], grey[i, 0], rtol=0, atol=0)
        torch.testing.assert_close(out[i, 1], rgb[i], rtol=0, atol=0)
    same = registry.columns(grey, grey)  # all grey: stays grey
    assert same.shape == (2, 2, 1, 2, 2)
