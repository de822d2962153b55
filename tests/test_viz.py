"""viz.plot_grid draws the table it is given, cell for cell, and refuses a mismatched one."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ganlab import viz  # noqa: E402


def test_plot_grid_draws_each_cell_with_its_value():
    values = np.array([[0.125, 2.5, -1.0], [3.0, 0.0, 7.75]])
    fig, ax = plt.subplots()
    viz.plot_grid(values, ["a", "b"], ["x", "y", "z"], ax=ax, fmt=".3f", title="t")
    np.testing.assert_array_equal(ax.images[0].get_array(), values)
    texts = {(t.get_position(), t.get_text()) for t in ax.texts}
    expected = {((j, i), format(values[i, j], ".3f")) for i in range(2) for j in range(3)}
    assert texts == expected
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "z"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert ax.images[0].get_clim() == (-1.0, 7.75)  # the colour range spans the data
    plt.close(fig)


def test_plot_grid_refuses_labels_that_do_not_match_the_values():
    with pytest.raises(ValueError, match=r"expected \(3, 2\)"):
        viz.plot_grid(np.zeros((2, 3)), ["a", "b", "c"], ["x", "y"])
