"""Wrong and alternative submissions for a03, used by the grader proofs.

Each source is the full answer cell as a student would leave it (no solution markers); every WRONG entry
is the solution with one realistic mistake, written by the same generator as the notebook.
"""

NOTEBOOK = "a03_bptt.ipynb"
AUTOGRADED_POINTS = 21
MANUAL_POINTS = 5

# Realistic wrong submissions: grade_id of one answer cell -> the full replacement source of that cell.
WRONG = {
    'no tanh derivative': {
        'rnn-step-backward': r'''def rnn_step_backward(dh, cache):
    """Backward pass of rnn_step_forward.

    Parameters
    ----------
    dh : ndarray, shape (B, H)   gradient of the loss with respect to the step's output h
    cache : StepCache            from rnn_step_forward: x (B, D), h_prev (B, H), h (B, H), weight_ih, weight_hh

    Returns
    -------
    grads : dict of ndarray      x (B, D), h_prev (B, H), weight_ih (H, D), weight_hh (H, H), bias_ih (H,),
                                 bias_hh (H,)
    """
    # Back through tanh to the pre-activation's gradient (B, H), then through the sum of products and biases.
    da = dh  # (B, H)
    db = da.sum(axis=0)  # (H,): the bias is added to every example of the batch
    return {
        "x": da @ cache.weight_ih,  # (B, D)
        "h_prev": da @ cache.weight_hh,  # (B, H)
        "weight_ih": da.T @ cache.x,  # (H, D)
        "weight_hh": da.T @ cache.h_prev,  # (H, H)
        "bias_ih": db,
        "bias_hh": db.copy(),  # both biases enter the sum alike; a copy, so that updating one leaves the other
    }''',
    },
    'bias gradient not summed over the batch': {
        'rnn-step-backward': r'''def rnn_step_backward(dh, cache):
    """Backward pass of rnn_step_forward.

    Parameters
    ----------
    dh : ndarray, shape (B, H)   gradient of the loss with respect to the step's output h
    cache : StepCache            from rnn_step_forward: x (B, D), h_prev (B, H), h (B, H), weight_ih, weight_hh

    Returns
    -------
    grads : dict of ndarray      x (B, D), h_prev (B, H), weight_ih (H, D), weight_hh (H, H), bias_ih (H,),
                                 bias_hh (H,)
    """
    # Back through tanh to the pre-activation's gradient (B, H), then through the sum of products and biases.
    da = dh * (1.0 - cache.h ** 2)  # (B, H)
    db = da
    return {
        "x": da @ cache.weight_ih,  # (B, D)
        "h_prev": da @ cache.weight_hh,  # (B, H)
        "weight_ih": da.T @ cache.x,  # (H, D)
        "weight_hh": da.T @ cache.h_prev,  # (H, H)
        "bias_ih": db,
        "bias_hh": db.copy(),  # both biases enter the sum alike; a copy, so that updating one leaves the other
    }''',
    },
    'weight gradients overwritten, not accumulated': {
        'rnn-backward': r'''def rnn_backward(dhs, cache):
    """Backward pass of rnn_forward: backpropagation through time.

    Parameters
    ----------
    dhs : ndarray, shape (T, B, H)   dhs[t]: gradient of the loss with respect to hs[t] through its direct use
                                     only; the path through the later steps is for you to add
    cache : SequenceCache            from rnn_forward: x (T, B, D), h0 (B, H), hs (T, B, H), weight_ih, weight_hh

    Returns
    -------
    grads : dict of ndarray          x (T, B, D), h0 (B, H), weight_ih (H, D), weight_hh (H, H), bias_ih (H,),
                                     bias_hh (H,)
    """
    # From t = T-1 down to 0: the gradient reaching hs[t] is dhs[t] plus what came back from step t+1;
    # the weight and bias gradients add up over the steps.
    T, B, H = cache.hs.shape
    grads = {"x": np.zeros(cache.x.shape), "weight_ih": np.zeros(cache.weight_ih.shape),
             "weight_hh": np.zeros((H, H)), "bias_ih": np.zeros(H), "bias_hh": np.zeros(H)}
    dh_next = np.zeros((B, H))  # gradient flowing into hs[t] from step t+1 (none after the last step)
    for t in reversed(range(T)):
        h_prev = cache.hs[t - 1] if t > 0 else cache.h0
        step = rnn_step_backward(dhs[t] + dh_next,
                                 StepCache(cache.x[t], h_prev, cache.hs[t], cache.weight_ih, cache.weight_hh))
        grads["x"][t] = step["x"]
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            grads[name] = step[name]
        dh_next = step["h_prev"]
    grads["h0"] = dh_next
    return grads''',
    },
    'gradient from the next step not added': {
        'rnn-backward': r'''def rnn_backward(dhs, cache):
    """Backward pass of rnn_forward: backpropagation through time.

    Parameters
    ----------
    dhs : ndarray, shape (T, B, H)   dhs[t]: gradient of the loss with respect to hs[t] through its direct use
                                     only; the path through the later steps is for you to add
    cache : SequenceCache            from rnn_forward: x (T, B, D), h0 (B, H), hs (T, B, H), weight_ih, weight_hh

    Returns
    -------
    grads : dict of ndarray          x (T, B, D), h0 (B, H), weight_ih (H, D), weight_hh (H, H), bias_ih (H,),
                                     bias_hh (H,)
    """
    # From t = T-1 down to 0: the gradient reaching hs[t] is dhs[t] plus what came back from step t+1;
    # the weight and bias gradients add up over the steps.
    T, B, H = cache.hs.shape
    grads = {"x": np.zeros(cache.x.shape), "weight_ih": np.zeros(cache.weight_ih.shape),
             "weight_hh": np.zeros((H, H)), "bias_ih": np.zeros(H), "bias_hh": np.zeros(H)}
    dh_next = np.zeros((B, H))  # gradient flowing into hs[t] from step t+1 (none after the last step)
    for t in reversed(range(T)):
        h_prev = cache.hs[t - 1] if t > 0 else cache.h0
        step = rnn_step_backward(dhs[t],
                                 StepCache(cache.x[t], h_prev, cache.hs[t], cache.weight_ih, cache.weight_hh))
        grads["x"][t] = step["x"]
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            grads[name] += step[name]
        dh_next = step["h_prev"]
    grads["h0"] = dh_next
    return grads''',
    },
    'forward difference': {
        'grad-check': r'''def grad_check(f, x, eps=1e-6):
    """Numerical gradient of the scalar f() with respect to the array x, by centred differences.

        grad[i] = (f() with x[i] + eps  -  f() with x[i] - eps) / (2 * eps)

    Parameters
    ----------
    f : callable     takes no arguments and returns a scalar computed from x
    x : ndarray      float64, any shape; perturbed in place one entry at a time and left as it was found
    eps : float      the step

    Returns
    -------
    grad : ndarray, same shape as x (a new array)
    """
    # For every index i of x (np.ndindex(x.shape) lists them): evaluate f at x[i] + eps and x[i] - eps, restore x[i].
    grad = np.zeros_like(x)
    f_x = float(f())
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        grad[i] = (float(f()) - f_x) / eps
        x[i] = old
    return grad''',
    },
    'x not restored': {
        'grad-check': r'''def grad_check(f, x, eps=1e-6):
    """Numerical gradient of the scalar f() with respect to the array x, by centred differences.

        grad[i] = (f() with x[i] + eps  -  f() with x[i] - eps) / (2 * eps)

    Parameters
    ----------
    f : callable     takes no arguments and returns a scalar computed from x
    x : ndarray      float64, any shape; perturbed in place one entry at a time and left as it was found
    eps : float      the step

    Returns
    -------
    grad : ndarray, same shape as x (a new array)
    """
    # For every index i of x (np.ndindex(x.shape) lists them): evaluate f at x[i] + eps and x[i] - eps, restore x[i].
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        f_plus = float(f())
        x[i] = old - eps
        f_minus = float(f())
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad''',
    },
}

# Correct solutions written differently, for every answer cell: each must score full marks.
ALTERNATIVE = {
    'grad-check': r'''def grad_check(f, x, eps=1e-6):
    """Centred differences, walking x with np.nditer and undoing each step by arithmetic."""
    grad = np.empty_like(x)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        i = it.multi_index
        x[i] += eps
        f_plus = f()
        x[i] -= 2 * eps
        f_minus = f()
        x[i] += eps
        grad[i] = (f_plus - f_minus) / (2 * eps)
        it.iternext()
    return grad''',
    'rnn-step-backward': r'''def rnn_step_backward(dh, cache):
    """The same gradients with einsum; b is the batch index."""
    x, h_prev, h, weight_ih, weight_hh = cache
    da = (1 - h * h) * dh  # (B, H)
    return {"x": np.einsum("bh,hd->bd", da, weight_ih), "h_prev": np.einsum("bh,hk->bk", da, weight_hh),
            "weight_ih": np.einsum("bh,bd->hd", da, x), "weight_hh": np.einsum("bh,bk->hk", da, h_prev),
            "bias_ih": np.einsum("bh->h", da), "bias_hh": np.einsum("bh->h", da)}''',
    'rnn-backward': r'''def rnn_backward(dhs, cache):
    """Only the recurrence stays in the loop; each weight gradient is then one product over all T*B rows."""
    T, B, H = cache.hs.shape
    D = cache.x.shape[2]
    das = np.empty((T, B, H))  # gradient of every step's pre-activation
    dh_next = np.zeros((B, H))
    for t in range(T - 1, -1, -1):
        das[t] = (dhs[t] + dh_next) * (1 - cache.hs[t] ** 2)
        dh_next = das[t] @ cache.weight_hh
    h_prevs = np.concatenate([cache.h0[None], cache.hs[:-1]])  # (T, B, H): the state entering each step
    da = das.reshape(T * B, H)
    return {"x": das @ cache.weight_ih, "h0": dh_next,
            "weight_ih": da.T @ cache.x.reshape(T * B, D), "weight_hh": da.T @ h_prevs.reshape(T * B, H),
            "bias_ih": da.sum(axis=0), "bias_hh": da.sum(axis=0)}''',
}
