"""Logistic regression trained with diffcli's autograd, written as you would in PyTorch.

Run: python examples/logistic_regression.py   (exit status 1 if accuracy falls under 90%)
"""

import sys

import numpy as np

import diffcli as dc
from diffcli import autograd

# Two Gaussian blobs with unit spread, centred at (-1.5, -1.5) and (1.5, 1.5). Along the
# line joining the centres they sit 2.12 standard deviations either side of the midpoint,
# so even the best possible boundary misclassifies about 1.7% of points: a trained model
# should score near 98%, and anything under 90% means training went wrong.
rng = np.random.default_rng(0)
n = 100
features = np.vstack([rng.normal(-1.5, 1.0, (n, 2)), rng.normal(1.5, 1.0, (n, 2))])
labels = np.concatenate([np.zeros(n), np.ones(n)])
X, y = dc.tensor(features), dc.tensor(labels)


def loss_fn(w: dc.Tensor, b: dc.Tensor) -> dc.Tensor:
    """Mean binary cross-entropy of the model sigmoid(X @ w + b)."""
    p = dc.sigmoid(dc.matmul(X, w) + b)
    # The textbook form; with very confident weights p rounds to 0 or 1 and log gives -inf,
    # which is why PyTorch offers BCEWithLogitsLoss. Our weights stay small, so it is safe.
    return -dc.mean(y * dc.log(p) + (1 - y) * dc.log(1 - p))


# Before trusting gradient descent, check the gradient it will follow against central
# finite differences, once, at an arbitrary point (zero would hide sign mistakes).
w_probe = dc.tensor(rng.normal(size=2), requires_grad=True)
b_probe = dc.tensor(rng.normal(), requires_grad=True)
autograd.gradcheck(loss_fn, (w_probe, b_probe))  # raises, showing both Jacobians, on failure
print("gradcheck: passed")

# At w = 0, b = 0 every prediction is 0.5, so the first loss printed is ln 2 = 0.6931.
w = dc.zeros(2, requires_grad=True)
b = dc.zeros(1, requires_grad=True)
lr, steps = 0.5, 200
for step in range(steps + 1):
    loss = loss_fn(w, b)
    if step % 20 == 0:
        print(f"step {step:4d}  loss {loss.item():.6f}")
    if step == steps:
        break
    loss.backward()
    # The update itself must not become part of the next step's graph, and an in-place
    # change to a leaf that requires grad is only allowed with recording off.
    with dc.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    # .grad accumulates across backward calls; clear it so each step sees only its own.
    w.grad = None
    b.grad = None

with dc.no_grad():
    predicted = (dc.matmul(X, w) + b).numpy() > 0  # sigmoid(z) > 0.5 exactly when z > 0
accuracy = float(np.mean(predicted == (labels == 1)))
print(f"final accuracy {accuracy:.3f}")
sys.exit(0 if accuracy >= 0.9 else 1)
