"""Small fixtures shared by the test files."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless: plots are drawn, never shown

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from idinn.demand import UniformDemand  # noqa: E402
from idinn.sourcing_model import SingleSourcingModel  # noqa: E402


@pytest.fixture
def paper_single_model() -> SingleSourcingModel:
    """The single-sourcing example of the JOSS paper (l=0, h=5, b=495, U{0..4}, I_0=10, B=32)."""
    return SingleSourcingModel(
        lead_time=0,
        holding_cost=5,
        shortage_cost=495,
        batch_size=32,
        init_inventory=10,
        demand_generator=UniformDemand(low=0, high=4),
    )


@pytest.fixture
def close_figures():
    """Close every matplotlib figure a test opened."""
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def long_lead_benchmark():
    """benchmarks/lost_sales_long_lead.py loaded as a module (its compiled simulators are tested)."""
    import importlib.util
    import pathlib
    import sys

    path = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "lost_sales_long_lead.py"
    spec = importlib.util.spec_from_file_location("idinn_bench_lost_sales_long_lead", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
