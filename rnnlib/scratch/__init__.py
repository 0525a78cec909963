"""The numpy reference: forward and backward passes of recurrent layers and attention, float64, no torch.

Parameters follow torch's names and layout (see the notation page), so weights copied out of ``torch.nn.RNN``,
``torch.nn.LSTM`` and ``torch.nn.GRU`` give the same outputs and gradients. Every ``*_forward`` returns its
outputs and a cache; every ``*_backward(douts, cache)`` returns a dict of gradients keyed by argument name.
"""

from rnnlib.scratch.attention import (
    additive_attention_backward,
    additive_attention_forward,
    dot_attention_backward,
    dot_attention_forward,
    general_attention_backward,
    general_attention_forward,
)
from rnnlib.scratch.bidirectional import bidirectional_backward, bidirectional_forward
from rnnlib.scratch.ctc import ctc_backward, ctc_forward, ctc_posteriors, extend_labels
from rnnlib.scratch.ctc_decoding import (
    cer,
    ctc_collapse,
    ctc_greedy_decode,
    ctc_prefix_beam_search,
    edit_distance,
    error_rate,
    wer,
)
from rnnlib.scratch.gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward
from rnnlib.scratch.losses import (
    affine_backward,
    affine_forward,
    mse_loss_backward,
    mse_loss_forward,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
)
from rnnlib.scratch.lstm import lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward
from rnnlib.scratch.rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from rnnlib.scratch.scan import (
    blelloch_scan,
    combine,
    hillis_steele_scan,
    linear_scan_backward,
    linear_scan_forward,
    log_space_scan,
    scan_levels,
    sequential_scan,
)

__all__ = [
    "additive_attention_backward", "additive_attention_forward", "affine_backward", "affine_forward",
    "bidirectional_backward", "bidirectional_forward", "dot_attention_backward", "dot_attention_forward",
    "general_attention_backward", "general_attention_forward", "gru_backward", "gru_forward", "gru_step_backward",
    "gru_step_forward", "lstm_backward", "lstm_forward", "lstm_step_backward", "lstm_step_forward",
    "mse_loss_backward", "mse_loss_forward", "rnn_backward", "rnn_forward", "rnn_step_backward",
    "rnn_step_forward", "softmax_cross_entropy_backward", "softmax_cross_entropy_forward",
    "blelloch_scan", "combine", "hillis_steele_scan", "linear_scan_backward", "linear_scan_forward",
    "log_space_scan", "scan_levels", "sequential_scan",
    "ctc_forward", "ctc_backward", "ctc_posteriors", "extend_labels", "ctc_collapse", "ctc_greedy_decode",
    "ctc_prefix_beam_search", "edit_distance", "error_rate", "cer", "wer",
]
