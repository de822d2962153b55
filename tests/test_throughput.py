"""benchmarks/throughput.py compares like with like: the reference DCGAN's shapes and maths.

On the same weights and inputs, one ganlab training step's D and G losses (softplus of
logits) equal the reference's (BCE after a sigmoid), in fp32 and under bf16 autocast.
Narrow nets (ngf = ndf = 8) at 64x64 and batch 4 keep this to seconds.
"""

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

spec = importlib.util.spec_from_file_location(
    "throughput", Path(__file__).parents[1] / "benchmarks" / "throughput.py")
tp = importlib.util.module_from_spec(spec)
sys.modules["throughput"] = tp  # dataclasses look their module up there
spec.loader.exec_module(tp)


def test_layer_shapes_and_parameter_counts_match_the_reference():
    ref, game = tp.Reference.build(torch.device("cpu")), tp.ganlab_game()
    # the example's published sizes: G 3,576,704 and D 2,765,568 parameters
    assert (tp.n_params(ref.G), tp.n_params(ref.D)) == (3_576_704, 2_765_568)
    # ganlab's nets add biases on G's output conv (3), D's input conv (64) and D's head (1)
    assert tp.n_params(game.nets["G"]) == tp.n_params(ref.G) + 3
    assert tp.n_params(game.nets["D"]) == tp.n_params(ref.D) + 64 + 1
    exact = tp.ganlab_game(exact=True)  # conv_bias=False: exactly the reference's parameters
    assert (tp.n_params(exact.nets["G"]), tp.n_params(exact.nets["D"])) == (3_576_704, 2_765_568)
    for a, b in ((ref.G, game.nets["G"]), (ref.D, game.nets["D"])):
        kinds = (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.BatchNorm2d)
        assert [m.weight.shape for m in a.modules() if isinstance(m, kinds)] == \
            [m.weight.shape for m in b.modules() if isinstance(m, kinds)]


def test_flop_count_of_the_first_layers_by_hand():
    fl = tp.step_flops(1)
    # G: 100*512*16 MACs at 1x1 in; 3 up-layers of 2^25 MACs; 64*3*16 per pixel of 32x32 in
    g = 2 * (100 * 512 * 16 + 3 * 2**25 + 64 * 3 * 16 * 32 * 32)
    d = 2 * (3 * 64 * 16 * 32 * 32 + 3 * 2**25 + 512 * 16)
    assert (fl["G_fwd"], fl["D_fwd"]) == (g, d)
    assert fl["reference"] == 3 * g + 9 * d and fl["ganlab"] == 4 * g + 8 * d


@pytest.mark.parametrize("amp", [False, True], ids=["fp32", "bf16"])
def test_ganlab_step_losses_equal_the_reference_on_the_same_weights(amp):
    torch.manual_seed(0)
    real = torch.rand(4, 3, 64, 64) * 2 - 1  # (B, 3, 64, 64)
    ref = tp.Reference.build(torch.device("cpu"), width=8, seed=3)
    t = tp.ganlab_trainer(real, width=8, exact=True, amp=amp)
    tp.copy_reference_weights(ref, t.game)
    assert tp.n_params(t.game.nets["G"]) == tp.n_params(ref.G)
    assert tp.n_params(t.game.nets["D"]) == tp.n_params(ref.D)
    gen = torch.Generator().set_state(t._latent_gen.get_state())
    z_d, z_g = torch.randn(4, tp.NZ, generator=gen), torch.randn(4, tp.NZ, generator=gen)
    err_d, err_g = ref.step(real, z_d, z_g, amp=amp)  # G's update on a fresh z, as ganlab's
    logs = t.train_step()
    tol = dict(rtol=2e-2, atol=1e-2) if amp else dict(rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(logs["D/loss"].float(), err_d, **tol)
    torch.testing.assert_close(logs["G/loss"].float(), err_g, **tol)
    # after the step both D's agree: the D updates were the same
    x = torch.rand(4, 3, 64, 64) * 2 - 1
    ref.D.eval(), t.game.nets["D"].eval()
    with torch.no_grad():
        p_ref = ref.D(x).flatten()
        p_ours = torch.sigmoid(t.game.nets["D"](x))
    torch.testing.assert_close(p_ours, p_ref, **(dict(rtol=2e-2, atol=1e-2) if amp
                                                 else dict(rtol=1e-4, atol=1e-5)))
