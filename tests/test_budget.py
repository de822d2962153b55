import pytest

from ganlab.budget import budget, pick


def test_default_is_cpu(monkeypatch):
    monkeypatch.delenv("GANLAB_BUDGET", raising=False)
    assert budget() == "cpu"
    assert pick(cpu=1, full=2) == 1


def test_full(monkeypatch):
    monkeypatch.setenv("GANLAB_BUDGET", "full")
    assert budget() == "full"
    assert pick(cpu=1, full=2) == 2


def test_case_and_blank(monkeypatch):
    monkeypatch.setenv("GANLAB_BUDGET", " FULL ")
    assert budget() == "full"
    monkeypatch.setenv("GANLAB_BUDGET", "")
    assert budget() == "cpu"


def test_unknown_budget_raises(monkeypatch):
    monkeypatch.setenv("GANLAB_BUDGET", "gpu")
    with pytest.raises(ValueError, match="cpu.*full"):
        budget()
    with pytest.raises(ValueError):
        pick(cpu=1, full=2)
