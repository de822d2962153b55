"""Every preset `ganlab list` shows trains from the command line on its default embedded data
set (no --data), for a few steps, and then samples (or, for a game that maps inputs to outputs,
shows what it does in samples.png and refuses `ganlab sample` with exit status 2).

In process (cli.main), two steps of batch 12 each: the whole file runs in about a minute on
one core.
"""

import contextlib
import io

import pytest
import torch

from ganlab import cli, variants

PRESETS = variants.variant_names()


def _run(argv):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(argv)
    return code, err.getvalue()


@pytest.mark.parametrize("name", PRESETS)
def test_preset_trains_on_its_default_data_and_samples(name, tmp_path):
    out = tmp_path / name
    code, err = _run(["train", "--variant", name, "--steps", "2", "--batch", "12", "--out", str(out),
                      "--metrics", "", "--no-progress", "--device", "cpu", "--ckpt-every", "2"])
    assert code == 0, err
    assert (out / "last.pt").is_file() and (out / "losses.png").is_file()
    preset = variants.PRESETS[name]
    code, err = _run(["sample", "--ckpt", str(out / "last.pt"), "--n", "4", "--out",
                      str(tmp_path / "s.png"), "--device", "cpu"])
    if preset.samples:
        assert code == 0, err
        x = torch.load(tmp_path / "s.pt")
        assert x.shape[0] == 4 and torch.isfinite(x).all()
        assert (out / "samples.png").is_file()
    else:
        assert code == 2 and "draws no samples" in err, err
        assert (out / "samples.png").is_file()  # the game's own picture: input | output | ...


def test_every_preset_declares_a_known_default_data_set_of_its_kind():
    from ganlab import catalog

    for name, p in variants.PRESETS.items():
        assert p.default_data in catalog.DATASETS, name
        kind = catalog.kind_of(p.default_data)
        assert kind == p.data or (p.data == "images" and kind == "labelled") \
            or (p.data == "sr" and kind in ("images", "labelled")), (name, kind, p.data)


def test_preset_batch_default_fits_its_packing():
    for name, p in variants.PRESETS.items():
        pack = getattr(p.config, "pack", 1)
        assert p.train.get("batch", 64) % pack == 0, name


# --- the per-variant command line -------------------------------------------------------------


def _train_dests(argv):
    import argparse

    p = cli.build_parser(argv)
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    return {a.dest: a for a in sub.choices["train"]._actions}


@pytest.mark.parametrize("name", PRESETS)
def test_train_help_lists_exactly_the_variants_honoured_options(name):
    import dataclasses

    from ganlab.train import TrainConfig

    dests = _train_dests(["train", "--variant", name])
    flaggable = {n for n, _ in cli.config_flags(type(variants.PRESETS[name].config),
                                                variants.honoured(name))}
    run = {f.name for f in dataclasses.fields(TrainConfig)}
    by_hand = {"help", "variant", "data", "size", "channels", "strict_images", "out", "resume",
               "overwrite", "metrics", "no_progress"}
    assert set(dests) - by_hand - run == flaggable - run
    for f in flaggable - run:  # help from the field's metadata, never empty
        assert dests[f].help and not dests[f].help.startswith(" (default"), (name, f)


def test_option_types_are_the_fields_types():
    pix = _train_dests(["train", "--variant", "pix2pix"])
    assert pix["adversarial"].type is float  # a weight here ...
    flow = _train_dests(["train", "--variant", "flowgan"])
    assert flow["adversarial"].type is None and flow["adversarial"].nargs == 0  # ... a switch there
    gan = _train_dests(["train", "--variant", "gan"])
    assert gan["betas"].nargs == 2 and gan["betas"].type is float
    assert gan["nz"].type("none") is None and gan["nz"].type("8") == 8


@pytest.mark.parametrize("argv, named", [
    (["--variant", "sagan", "--loss", "hinge"], "--loss"),  # SAGAN's loss is fixed (hinge)
    (["--variant", "unrolled-gan", "--optimizer", "rmsprop"], "--optimizer"),  # it unrolls Adam
    (["--variant", "gan", "--cycle", "3"], "--cycle"),  # another variant's option
    (["--variant", "progan", "--sn"], "--sn"),
])
def test_an_option_the_variant_does_not_honour_is_refused_in_one_line(argv, named, tmp_path):
    code, err = _run(["train", *argv, "--steps", "1", "--out", str(tmp_path / "r")])
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, err
    assert named in lines[0] and "its model options: " in lines[0] and "--width" in lines[0]
    assert not (tmp_path / "r").exists()


def test_build_refuses_an_unhonoured_option_naming_the_honoured_ones():
    with pytest.raises(ValueError, match="does not honour loss.*its options: .*width"):
        variants.build("sagan", (1, 16, 16), loss="nonsaturating")
    with pytest.raises(ValueError, match="does not honour optimizer"):
        variants.build("unrolled-gan", (2,), optimizer="rmsprop")


def _recording(cfg, seen):
    import dataclasses

    names = {f.name for f in dataclasses.fields(cfg)}

    class Recording(type(cfg)):
        def __getattribute__(self, k):
            if k in names:
                seen.add(k)
            return object.__getattribute__(self, k)

    rec = Recording.__new__(Recording)
    for f in dataclasses.fields(cfg):
        object.__setattr__(rec, f.name, getattr(cfg, f.name))
    return rec


# an honoured field a build and one step may leave unread, and when (the others must be read)
_UNREAD_WHEN = {
    "conditional": lambda cfg, shape: True,  # read by registry.build, which calls the builder
    "r1_every": lambda cfg, shape: not cfg.r1,  # lazy R1's interval, with R1 off
    "pl_every": lambda cfg, shape: not cfg.pl_weight,  # lazy path length's interval, with it off
    "depth": lambda cfg, shape: len(shape) == 3,  # MLP depth, on images (DCGAN nets)
    "d_norm": lambda cfg, shape: len(shape) == 1,  # DCGAN D's norm, on points (MLP nets)
    "conv_bias": lambda cfg, shape: len(shape) == 1,
}


@pytest.mark.parametrize("name", PRESETS)
def test_the_builder_reads_exactly_the_fields_its_preset_honours(name):
    """Building the game and one training step on the default data read every field the
    preset honours or fixes (save a field that does not apply to this run: _UNREAD_WHEN) and
    no field it declares it ignores (so refusing those options loses nothing, and every
    option offered does something)."""
    import dataclasses

    from ganlab import catalog, registry
    from ganlab.train import TrainConfig, Trainer

    p = variants.PRESETS[name]
    ds = catalog.load(p.default_data, kind=p.data)
    opts = {}
    if p.prepare is not None:
        ds, opts = p.prepare(ds, 0)
    shape, k = cli._data_spec(ds)
    seen: set[str] = set()
    cfg = _recording(dataclasses.replace(p.config, **opts), seen)
    game = registry.BUILDERS[p.builder](name, cfg, shape, k if getattr(p.config, "conditional", 0) else 0)
    Trainer(game, ds, TrainConfig(steps=1, batch=12, progress=False, device="cpu")).fit()
    assert seen, name  # the recording works
    assert not seen & set(p.ignores), (name, sorted(seen & set(p.ignores)))
    unread = (set(registry.honoured(name)) | set(p.fixed)) - seen
    excused = {f for f in unread if f in _UNREAD_WHEN and _UNREAD_WHEN[f](cfg, shape)}
    assert unread == excused, (name, sorted(unread - excused))


# --- the user's own data: folder layouts ------------------------------------------------------


def _pngs(folder, names, seed):
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for n in names:
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(folder / n)


def test_paired_folder_joins_input_and_target_by_file_name(tmp_path):
    from ganlab import catalog

    _pngs(tmp_path / "p" / "input", ["b.png", "a.png"], 0)
    _pngs(tmp_path / "p" / "target", ["a.png", "b.png"], 1)
    ds = catalog.paired_folder(tmp_path / "p", size=32, channels=3)
    inp = catalog.data.ImageFolder(tmp_path / "p" / "input", 32, 3)
    tgt = catalog.data.ImageFolder(tmp_path / "p" / "target", 32, 3)
    assert ds.x.shape == (2, 6, 32, 32)
    for i in range(2):  # row i: input i beside the target of the same name
        j = [p.name for p in tgt.paths].index(inp.paths[i].name)
        torch.testing.assert_close(ds.x[i, :3], inp[i][0])
        torch.testing.assert_close(ds.x[i, 3:], tgt[j][0])
    _pngs(tmp_path / "q" / "input", ["a.png"], 0)
    _pngs(tmp_path / "q" / "target", ["z.png"], 1)
    with pytest.raises(ValueError, match="same file names"):
        catalog.paired_folder(tmp_path / "q")


@pytest.mark.parametrize("variant, layout", [("pix2pix", ("input", "target")),
                                             ("cyclegan", ("A", "B"))])
def test_translation_variants_train_on_a_folder_layout(variant, layout, tmp_path):
    for k, sub in enumerate(layout):
        _pngs(tmp_path / "d" / sub, [f"{i}.png" for i in range(4)], k)
    out = tmp_path / "run"
    code, err = _run(["train", "--variant", variant, "--data", str(tmp_path / "d"), "--steps", "1",
                      "--batch", "2", "--width", "8", "--out", str(out), "--no-progress",
                      "--device", "cpu"])
    assert code == 0, err
    assert (out / "samples.png").is_file()


def test_data_of_another_kind_is_refused_naming_the_default(tmp_path):
    code, err = _run(["train", "--variant", "pix2pix", "--data", "ring", "--steps", "1",
                      "--out", str(tmp_path / "r")])
    assert code == 2 and "photo_pairs" in err and len(err.strip().splitlines()) == 1, err
