"""mylib.scalar as grown in lesson 06 — Module, Neuron, Layer, MLP — against torch.nn float64:
outputs, parameters (count and order), gradients and whole training runs; and mylib.datasets.make_moons.

Ordered like the lesson, so that with the lesson's pieces unwritten the first failure is a stub.
"""
import gc
import math

import numpy as np
import pytest
import torch
from sklearn.datasets import make_moons as sklearn_make_moons

from mylib.datasets import make_moons
from mylib.scalar import MLP, Layer, Module, Neuron, Value
from tests.compare import assert_same

ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, None: lambda z: z}


def t64(numbers, grad=False):
    return torch.tensor(numbers, dtype=torch.float64, requires_grad=grad)


def per_neuron(weight, bias):
    """torch's (out, in) weight and (out,) bias in our parameters() order: each row, then its bias."""
    return torch.cat([weight, bias[:, None]], dim=1).flatten()


def torch_copy(model):
    """nn.Linear layers holding the weights of our MLP."""
    layers = [torch.nn.Linear(len(layer.neurons[0].w), len(layer.neurons), dtype=torch.float64)
              for layer in model.layers]
    with torch.no_grad():
        for linear, layer in zip(layers, model.layers):
            linear.weight.copy_(t64([[w.data for w in n.w] for n in layer.neurons]))
            linear.bias.copy_(t64([n.b.data for n in layer.neurons]))
    return layers


def torch_forward(layers, X, activation):
    h = X
    for k, linear in enumerate(layers):
        h = linear(h)
        if k < len(layers) - 1:
            h = ACTIVATIONS[activation](h)
    return h[:, 0]


# ---------------------------------------------------------------- Neuron, Layer, MLP against torch

@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_neuron_output_and_gradients_match_torch(activation):
    """Neuron(x) = activation(w·x + b): its output and the gradients of w, b and x equal torch's."""
    x0 = [0.4, -1.2, 2.0]
    for seed in range(4):
        neuron = Neuron(3, activation, rng=np.random.default_rng(seed))
        xs = [Value(v) for v in x0]
        out = neuron(xs)
        out.backward()
        w_t, b_t, x_t = t64([w.data for w in neuron.w], True), t64(neuron.b.data, True), t64(x0, True)
        out_t = ACTIVATIONS[activation](w_t @ x_t + b_t)
        out_t.backward()
        what = f"Neuron(3, {activation!r}, rng=default_rng({seed}))({x0})"
        assert isinstance(out, Value), f"{what} must return a Value, got {out!r}"
        assert_same(out.data, out_t, what)
        assert_same([w.grad for w in neuron.w], w_t.grad, f"d/dw of {what}")
        assert_same(neuron.b.grad, b_t.grad, f"d/db of {what}")
        assert_same([v.grad for v in xs], x_t.grad, f"d/dx of {what}")


def test_neuron_takes_plain_numbers_and_lists_its_parameters():
    """A Neuron takes plain numbers as inputs; parameters() is its weights, then its bias."""
    neuron = Neuron(2, "tanh", rng=np.random.default_rng(0))
    out = neuron([0.5, -1.0])
    expected = math.tanh(neuron.w[0].data * 0.5 - neuron.w[1].data + neuron.b.data)
    assert math.isclose(out.data, expected, rel_tol=1e-12), f"tanh(w·[0.5, -1] + b): expected {expected}, got {out.data}"
    assert neuron.parameters() == neuron.w + [neuron.b]


def test_layer_outputs_parameters_and_gradients_match_torch_linear():
    """Layer(3, 4) equals F.linear: outputs, parameters neuron by neuron, and their gradients."""
    layer = Layer(3, 4, activation=None, rng=np.random.default_rng(4))
    params = layer.parameters()
    assert len(params) == 16, f"Layer(3, 4).parameters(): expected 4 neurons x (3 weights + 1 bias) = 16, got {len(params)}"
    W_t = t64([[w.data for w in n.w] for n in layer.neurons], True)
    b_t = t64([n.b.data for n in layer.neurons], True)
    assert all(p is q for p, q in zip(params, [q for n in layer.neurons for q in n.w + [n.b]])), \
        "Layer.parameters() must list neuron 0's weights and bias, then neuron 1's, and so on"
    x0 = [0.3, -0.7, 1.1]
    outputs = layer(x0)
    out_t = torch.nn.functional.linear(t64(x0), W_t, b_t)
    assert_same([o.data for o in outputs], out_t, f"Layer(3, 4)({x0})")
    sum(outputs).backward()
    out_t.sum().backward()
    assert_same([p.grad for p in params], per_neuron(W_t.grad, b_t.grad), "gradients of Layer(3, 4).parameters()")


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_mlp_forward_parameters_and_gradients_match_torch(activation):
    """MLP([3, 5, 4, 2]): outputs, parameter count and order, and every gradient equal torch's."""
    model = MLP([3, 5, 4, 2], activation=activation, rng=np.random.default_rng(1))
    layers = torch_copy(model)
    x0 = [0.5, -1.0, 2.0]
    outputs = model(x0)
    assert isinstance(outputs, list) and len(outputs) == 2, f"MLP([3, 5, 4, 2]) must return a list of 2 Values, got {outputs!r}"
    h = t64(x0)
    for k, linear in enumerate(layers):
        h = linear(h)
        if k < len(layers) - 1:
            h = ACTIVATIONS[activation](h)
    what = f"MLP([3, 5, 4, 2], {activation!r})({x0})"
    assert_same([o.data for o in outputs], h, what)
    params = model.parameters()
    assert len(params) == sum(p.numel() for linear in layers for p in linear.parameters()) == 4 * 5 + 6 * 4 + 5 * 2
    (outputs[0] - 3 * outputs[1]).backward()
    (h[0] - 3 * h[1]).backward()
    expected = torch.cat([per_neuron(linear.weight.grad, linear.bias.grad) for linear in layers])
    assert_same([p.grad for p in params], expected, f"gradients of {what}, in parameters() order")


def test_mlp_structure_parameters_and_zero_grad():
    """An MLP's layers, activations, initialisation range and zero_grad() are as in torch.nn.Linear."""
    model = MLP([2, 16, 16, 1], rng=np.random.default_rng(0))
    assert len(model.parameters()) == (2 + 1) * 16 + (16 + 1) * 16 + (16 + 1) * 1
    assert [layer.neurons[0].activation for layer in model.layers] == ["relu", "relu", None]
    bound = 1 / math.sqrt(16)  # torch.nn.Linear's initialisation range for 16 inputs
    assert all(abs(p.data) <= bound for p in model.layers[1].parameters())
    model([0.3, -0.2])[0].backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert isinstance(model, Module) and Module().parameters() == []


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_mlp_training_run_matches_torch(activation):
    """Ten SGD steps of a 2-8-8-1 MLP on two moons: every loss and the final weights equal torch's."""
    rng = np.random.default_rng(3)
    X, y = make_moons(20, noise=0.1, rng=rng)
    targets = 2.0 * y - 1.0
    model = MLP([2, 8, 8, 1], activation=activation, rng=rng)
    layers = torch_copy(model)
    params_t = [p for linear in layers for p in (linear.weight, linear.bias)]
    X_t, t_t = torch.tensor(X), torch.tensor(targets)
    for step in range(10):
        batch = [(step * 4 + k) % 20 for k in range(4)]
        loss = sum((1 - targets[i] * model(X[i].tolist())[0]).relu() for i in batch) / len(batch)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.2 * p.grad
        loss_t = torch.relu(1 - t_t[batch] * torch_forward(layers, X_t[batch], activation)).mean()
        for p in params_t:
            p.grad = None
        loss_t.backward()
        with torch.no_grad():
            for p in params_t:
                p -= 0.2 * p.grad
        assert_same(loss.data, loss_t, f"hinge loss at SGD step {step} of a 2-8-8-1 {activation} MLP")
    for k, (linear, layer) in enumerate(zip(layers, model.layers)):
        assert_same([[w.data for w in n.w] for n in layer.neurons], linear.weight, f"layer {k}'s weights after 10 steps")
        assert_same([n.b.data for n in layer.neurons], linear.bias, f"layer {k}'s biases after 10 steps")


def test_a_training_step_leaves_no_garbage_for_the_cyclic_collector():
    """A training step of an MLP leaves no reference cycles: reference counting frees its graph."""
    model = MLP([2, 4, 1], rng=np.random.default_rng(0))
    gc.collect()
    gc.disable()
    try:
        loss = sum((1 - model(p)[0]).relu() for p in ([0.5, -1.0], [1.0, 2.0]))
        loss.backward()
        del loss
        assert gc.collect() == 0  # no reference cycles: reference counting freed everything
    finally:
        gc.enable()


def test_model_building_errors_are_clear():
    """A wrong number of inputs, an unknown activation, or too few sizes get a clear ValueError."""
    with pytest.raises(ValueError, match="takes 2 inputs, got 3"):
        Layer(2, 4, rng=np.random.default_rng(0))([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="activation must be one of"):
        Neuron(2, activation="gelu")
    with pytest.raises(ValueError, match="at least an input and an output size"):
        MLP([2])


# ---------------------------------------------------------------- make_moons

def test_make_moons_matches_sklearn_without_noise():
    """make_moons without noise equals sklearn's make_moons(shuffle=False)."""
    X, y = make_moons(101, noise=0.0, rng=np.random.default_rng(0))
    X_ref, y_ref = sklearn_make_moons(101, shuffle=False, noise=None)
    np.testing.assert_allclose(X, X_ref, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(y, y_ref)
    assert X.dtype == np.float64 and y.dtype == np.int64 and X.shape == (101, 2)


def test_make_moons_is_reproducible_and_checks_its_arguments():
    """make_moons is reproducible with a seeded rng and refuses bad arguments."""
    first = make_moons(50, noise=0.1, rng=np.random.default_rng(7))
    second = make_moons(50, noise=0.1, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(first[0], second[0])
    assert not np.array_equal(first[0], make_moons(50, noise=0.0)[0])
    with pytest.raises(ValueError, match="n_samples must be at least 2"):
        make_moons(1)
    with pytest.raises(ValueError, match="noise must be >= 0"):
        make_moons(10, noise=-0.1)
