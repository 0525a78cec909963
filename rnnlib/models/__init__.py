"""PyTorch models for the course: hand-written cells, sequence readers, generators and encoder-decoders.

Shapes are time-major throughout, ``(T, B, ...)``; see each module for its symbols.
"""

from rnnlib.models.cells import GRUCell, LSTMCell, RNNCell, init_like_torch, unroll
from rnnlib.models.generative import CharLM, VectorToSequence, detach_state
from rnnlib.models.attention import AdditiveAttention, DotAttention, GeneralAttention, padding_mask
from rnnlib.models.captioning import Captioner, ConvEncoder, pretrain_encoder
from rnnlib.models.ctc import CTCRecognizer, pad_features, pad_targets
from rnnlib.models.decoding import Hypothesis, beam_decode, beam_search, generate_tokens, next_token
from rnnlib.models.forecast import SequenceRegressor
from rnnlib.models.mingru import MinGRU, parallel_scan
from rnnlib.models.seq2seq import Decoder, Encoder, Seq2Seq
from rnnlib.models.sequence import SequenceClassifier, SequenceReader, SequenceTagger, make_rnn

__all__ = [
    "RNNCell", "LSTMCell", "GRUCell", "unroll", "init_like_torch",
    "make_rnn", "SequenceReader", "SequenceClassifier", "SequenceTagger", "SequenceRegressor",
    "VectorToSequence", "CharLM", "detach_state",
    "DotAttention", "GeneralAttention", "AdditiveAttention", "Encoder", "Decoder", "Seq2Seq", "padding_mask",
    "beam_search", "beam_decode", "Hypothesis", "generate_tokens", "next_token",
    "MinGRU", "parallel_scan",
    "ConvEncoder", "Captioner", "pretrain_encoder",
    "CTCRecognizer", "pad_features", "pad_targets",
]
