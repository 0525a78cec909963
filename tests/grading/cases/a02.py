"""Wrong and alternative submissions for a02, used by the grader proofs.

Each source is the full answer cell as a student would leave it (no solution markers); every WRONG entry
is the solution with one realistic mistake, written by the same generator as the notebook.
"""

NOTEBOOK = "a02_rnn_layer.ipynb"
AUTOGRADED_POINTS = 20
MANUAL_POINTS = 6

# Realistic wrong submissions: grade_id of one answer cell -> the full replacement source of that cell.
WRONG = {
    'bias_hh left out': {
        'rnn-step': r'''def rnn_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """Advance a vanilla RNN by one time step, as torch.nn.RNN does with nonlinearity="tanh".

    Parameters
    ----------
    x : ndarray, shape (B, D)          input at step t
    h_prev : ndarray, shape (B, H)     hidden state at step t-1
    weight_ih : ndarray, shape (H, D)  input-to-hidden weights
    weight_hh : ndarray, shape (H, H)  hidden-to-hidden weights
    bias_ih, bias_hh : ndarray, shape (H,)

    Returns
    -------
    h : ndarray, shape (B, H)          hidden state at step t
    """
    # Add the input's share, the previous state's share and both biases (all (B, H)), then apply tanh.
    a = x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T  # (B, H)
    return np.tanh(a)''',
    },
    'weight_hh not transposed': {
        'rnn-step': r'''def rnn_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """Advance a vanilla RNN by one time step, as torch.nn.RNN does with nonlinearity="tanh".

    Parameters
    ----------
    x : ndarray, shape (B, D)          input at step t
    h_prev : ndarray, shape (B, H)     hidden state at step t-1
    weight_ih : ndarray, shape (H, D)  input-to-hidden weights
    weight_hh : ndarray, shape (H, H)  hidden-to-hidden weights
    bias_ih, bias_hh : ndarray, shape (H,)

    Returns
    -------
    h : ndarray, shape (B, H)          hidden state at step t
    """
    # Add the input's share, the previous state's share and both biases (all (B, H)), then apply tanh.
    a = x @ weight_ih.T + bias_ih + h_prev @ weight_hh + bias_hh  # (B, H)
    return np.tanh(a)''',
    },
    'relu instead of tanh': {
        'rnn-step': r'''def rnn_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """Advance a vanilla RNN by one time step, as torch.nn.RNN does with nonlinearity="tanh".

    Parameters
    ----------
    x : ndarray, shape (B, D)          input at step t
    h_prev : ndarray, shape (B, H)     hidden state at step t-1
    weight_ih : ndarray, shape (H, D)  input-to-hidden weights
    weight_hh : ndarray, shape (H, H)  hidden-to-hidden weights
    bias_ih, bias_hh : ndarray, shape (H,)

    Returns
    -------
    h : ndarray, shape (B, H)          hidden state at step t
    """
    # Add the input's share, the previous state's share and both biases (all (B, H)), then apply tanh.
    a = x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh  # (B, H)
    return np.maximum(a, 0.0)''',
    },
    'weight_ih not transposed': {
        'rnn-forward': r'''def rnn_forward(x, h0, params):
    """Run the RNN over a sequence, for every example of the batch at once.

    Equivalent to: h = h0; for t in range(T): h = rnn_step(x[t], h, ...); hs[t] = h.

    Parameters
    ----------
    x : ndarray, shape (T, B, D)   input sequence, time-major
    h0 : ndarray, shape (B, H)     initial hidden state
    params : dict                  weight_ih (H, D), weight_hh (H, H), bias_ih (H,), bias_hh (H,)

    Returns
    -------
    hs : ndarray, shape (T, B, H)  hs[t] is the hidden state after reading x[t]
    """
    # Compute every step's input share at once, then loop over time for the part that needs the previous state.
    a_x = x @ params["weight_ih"] + params["bias_ih"] + params["bias_hh"]  # (T, B, H)
    hs = np.empty(a_x.shape)  # (T, B, H)
    h = h0
    for t in range(len(x)):
        h = np.tanh(a_x[t] + h @ params["weight_hh"].T)  # (B, H)
        hs[t] = h
    return hs''',
    },
    'off by one in time': {
        'rnn-forward': r'''def rnn_forward(x, h0, params):
    """Run the RNN over a sequence, for every example of the batch at once.

    Equivalent to: h = h0; for t in range(T): h = rnn_step(x[t], h, ...); hs[t] = h.

    Parameters
    ----------
    x : ndarray, shape (T, B, D)   input sequence, time-major
    h0 : ndarray, shape (B, H)     initial hidden state
    params : dict                  weight_ih (H, D), weight_hh (H, H), bias_ih (H,), bias_hh (H,)

    Returns
    -------
    hs : ndarray, shape (T, B, H)  hs[t] is the hidden state after reading x[t]
    """
    # Compute every step's input share at once, then loop over time for the part that needs the previous state.
    a_x = x @ params["weight_ih"].T + params["bias_ih"] + params["bias_hh"]  # (T, B, H)
    hs = np.empty(a_x.shape)  # (T, B, H)
    h = h0
    for t in range(len(x)):
        hs[t] = h
        h = np.tanh(a_x[t] + h @ params["weight_hh"].T)  # (B, H)
    return hs''',
    },
    'one bias counted': {
        'count-parameters': r'''def count_parameters(D, H, num_layers=1, bidirectional=False):
    """Number of trainable numbers in torch.nn.RNN(D, H, num_layers=num_layers, bidirectional=bidirectional).

    Parameters
    ----------
    D : int              input features
    H : int              hidden units per direction
    num_layers : int     stacked layers
    bidirectional : bool whether every layer also runs backwards in time

    Returns
    -------
    int, with both biases of every layer and direction included
    """
    # Count weight_ih, weight_hh, bias_ih and bias_hh for each layer and direction: how many inputs does layer l read?
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        inputs = D if layer == 0 else directions * H
        total += directions * (H * inputs + H * H + H)  # weight_ih, weight_hh, bias_ih, bias_hh
    return total''',
    },
    'later layers read D inputs': {
        'count-parameters': r'''def count_parameters(D, H, num_layers=1, bidirectional=False):
    """Number of trainable numbers in torch.nn.RNN(D, H, num_layers=num_layers, bidirectional=bidirectional).

    Parameters
    ----------
    D : int              input features
    H : int              hidden units per direction
    num_layers : int     stacked layers
    bidirectional : bool whether every layer also runs backwards in time

    Returns
    -------
    int, with both biases of every layer and direction included
    """
    # Count weight_ih, weight_hh, bias_ih and bias_hh for each layer and direction: how many inputs does layer l read?
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        inputs = D
        total += directions * (H * inputs + H * H + 2 * H)  # weight_ih, weight_hh, bias_ih, bias_hh
    return total''',
    },
    'torch names kept': {
        'params-from-torch': r'''def params_from_torch(rnn):
    """Copy the weights of a one-layer, one-direction torch.nn.RNN into a params dict for rnn_forward.

    Parameters
    ----------
    rnn : torch.nn.RNN    num_layers=1, bidirectional=False, with biases; float32 or float64

    Returns
    -------
    params : dict of float64 ndarray   weight_ih (H, D), weight_hh (H, H), bias_ih (H,), bias_hh (H,)
    """
    # Drop torch's "_l0" from the names; detach, convert to numpy and to float64.
    return {name: value.detach().numpy().astype(np.float64) for name, value in rnn.named_parameters()}''',
    },
}

# Correct solutions written differently, for every answer cell: each must score full marks.
ALTERNATIVE = {
    'rnn-step': r'''def rnn_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One RNN step with einsum: "bd,hd->bh" is x @ weight_ih.T, (B, D) x (H, D) -> (B, H)."""
    a = np.einsum("bd,hd->bh", x, weight_ih) + np.einsum("bk,hk->bh", h_prev, weight_hh)  # (B, H)
    return np.tanh(a + (bias_ih + bias_hh))''',
    'rnn-forward': r'''def rnn_forward(x, h0, params):
    """A plain loop over rnn_step, collecting the states in a list."""
    hs = []
    h = h0
    for x_t in x:  # x_t is (B, D)
        h = rnn_step(x_t, h, params["weight_ih"], params["weight_hh"], params["bias_ih"], params["bias_hh"])
        hs.append(h)
    return np.stack(hs)  # (T, B, H)''',
    'count-parameters': r'''def count_parameters(D, H, num_layers=1, bidirectional=False):
    """Closed form: the first layer reads D features, the others k*H, with k the number of directions."""
    k = 2 if bidirectional else 1
    first = H * (D + H + 2)
    later = H * (k * H + H + 2)
    return int(k * (first + (num_layers - 1) * later))''',
    'params-from-torch': r'''def params_from_torch(rnn):
    """Through the state dict, whose tensors are already detached."""
    return {key.removesuffix("_l0"): np.array(value, dtype=np.float64) for key, value in rnn.state_dict().items()}''',
}
