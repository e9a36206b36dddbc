"""Named test-bed instances (idinn.instances)."""

from __future__ import annotations

import csv
import dataclasses
import re
from pathlib import Path

import pytest

import idinn
from idinn.demand import UniformDemand
from idinn.instances import TestbedInstance, get_instance, load_testbed, make_model
from idinn.sourcing_model import DualSourcingModel


def test_load_testbed_reads_every_row_and_column():
    rows = load_testbed()
    assert len(rows) == 15
    path = Path(idinn.__file__).parent / "data" / "dual_sourcing_testbed.csv"
    with path.open() as fh:
        header = next(csv.reader(fh))
    assert [f.name for f in dataclasses.fields(TestbedInstance)] == header
    first = rows[0]
    assert first == TestbedInstance(
        "lr2_ce5_u04", 2, 0, 0.0, 5.0, 5.0, 495.0, 0, 4, 16.7698, 16.8484, 17.0221, 16.9030, 18.0, 16.8208
    )
    assert rows[-1].published_neural_cost is None
    assert len({r.name for r in rows}) == 15
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.optimal_cost = 0.0


def test_get_instance_and_make_model():
    inst = get_instance("lr3_ce20_u08")
    assert (inst.regular_lead_time, inst.expedited_order_cost, inst.demand_high) == (3, 20.0, 8)
    model = make_model(inst, batch_size=4, init_inventory=6)
    assert isinstance(model, DualSourcingModel)
    assert model.batch_size == 4
    assert model.get_init_inventory().item() == 6
    assert model.params.lead_times == (3, 0)
    assert model.params.order_costs == (0.0, 20.0)
    assert (model.params.holding_cost, model.params.shortage_cost) == (5.0, 495.0)
    assert isinstance(model.demand_generator, UniformDemand)
    assert (model.demand_generator.low, model.demand_generator.high) == (0, 8)


def test_bad_names_and_instances():
    with pytest.raises(ValueError, match=re.escape("The 'name' parameter of get_instance must be one of ['lr2_ce10_u04'")):
        get_instance("nope")
    with pytest.raises(TypeError, match=re.escape("The 'name' parameter of get_instance must be a str")):
        get_instance(3)
    with pytest.raises(TypeError, match=re.escape("The 'instance' parameter of make_model")):
        make_model("lr2_ce5_u04")
