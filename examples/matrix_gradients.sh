#!/usr/bin/env bash
# Checking hand-derived matrix gradients: least squares, logistic regression and softmax
# cross-entropy, each at the given data and at reproducible random values of the same
# shapes. The last claim is a usual mistake (the transpose of the gradient): diffcli
# names it and exits 1. Extra arguments go to every check (e.g. --json).
set -u
diffcli=${DIFFCLI:-diffcli}
X='[[1, 2], [0.5, -1], [-2, 0.3], [1.5, 1]]'
failed=0

# Least squares: L(w) = |Xw - y|^2, dL/dw = 2 X'(Xw - y).
$diffcli check "sum((X@w - y)**2)" --grad w="2*X.T@(X@w - y)" \
  --at X="$X" --at y='[1, -1, 0.5, 2]' --at w='[0.3, -0.2]' "$@" || failed=1

# Logistic regression, labels y in {0, 1}: L(w) = sum(log(1 + exp(Xw)) - y*Xw),
# dL/dw = X'(sigmoid(Xw) - y).
$diffcli check "sum(softplus(X@w) - y*(X@w))" --grad w="X.T@(sigmoid(X@w) - y)" \
  --at X="$X" --at y='[1, 0, 0, 1]' --at w='[0.3, -0.2]' "$@" || failed=1

# Softmax cross-entropy of a linear layer, y one-hot: L(W) = logsumexp(Wx) - y'Wx,
# dL/dW = (softmax(Wx) - y) x'.
W='[[0.2, -0.5], [1, 0.3], [-0.7, 0.8]]'
$diffcli check "logsumexp(W@x) - y@(W@x)" --grad W="outer(softmax(W@x) - y, x)" \
  --at W="$W" --at x='[1.5, -2]' --at y='[0, 1, 0]' "$@" || failed=1

# The same gradient written the other way round: x (softmax(Wx) - y)' is its transpose.
if $diffcli check "logsumexp(W@x) - y@(W@x)" --grad W="outer(x, softmax(W@x) - y)" \
  --at W="$W" --at x='[1.5, -2]' --at y='[0, 1, 0]' "$@"; then
  failed=1
else
  echo "matrix_gradients.sh: the transposed claim is wrong (exit 1), as expected" >&2
fi
exit "$failed"
