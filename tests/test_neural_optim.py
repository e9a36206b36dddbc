"""Our Adam and RMSprop give bitwise the same parameters as torch.optim's."""

from __future__ import annotations

import pytest
import torch

from idinn.neural.optim import Adam, RMSprop


@pytest.mark.parametrize("ours,theirs,lr", [(Adam, torch.optim.Adam, 3e-2), (RMSprop, torch.optim.RMSprop, 1e-1)])
def test_same_updates_as_torch_bit_for_bit(ours, theirs, lr):
    g = torch.Generator().manual_seed(0)
    a = [torch.randn(5, 3, generator=g, requires_grad=True), torch.randn(3, generator=g, requires_grad=True)]
    b = [p.detach().clone().requires_grad_(True) for p in a]
    opt_a, opt_b = ours(a, lr=lr), theirs(b, lr=lr)
    for _ in range(50):
        grads = [torch.randn(p.shape, generator=g) * 10 for p in a]
        for p, q, gr in zip(a, b, grads):
            p.grad = gr.clone()
            q.grad = gr.clone()
        opt_a.step()
        opt_b.step()
    for p, q in zip(a, b):
        assert torch.equal(p, q)
    assert not torch.equal(a[0], b[0] * 0 + torch.randn(5, 3, generator=torch.Generator().manual_seed(0)))  # moved
