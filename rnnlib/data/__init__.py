"""Offline datasets for the course: generated, or read from data shipped inside installed packages.

Nothing here downloads. Every function that draws random numbers takes ``seed`` (an int, or a
``numpy.random.Generator``) and gives the same data for the same seed. Shapes are time-major: sequences
(T, N, D), token batches (T, B).

* :mod:`rnnlib.data.synthetic`: noisy sines, the adding problem, the copy task, future tagging.
* :mod:`rnnlib.data.surnames`: surnames labelled by language (from Faker's locale data).
* :mod:`rnnlib.data.dates`: dates written in many languages and formats, with ISO targets (Babel).
* :mod:`rnnlib.data.text`: the Python standard library's source as a character corpus; BPTT batching.
* :mod:`rnnlib.data.series`: sunspots, CO2, digit images as row sequences; splits, windows, scaling.
* :mod:`rnnlib.data.weather`: Seattle's daily weather 2012-2015 (from vega_datasets).
* :mod:`rnnlib.data.vocab`: character vocabularies, padding, Datasets and collate functions.
* :mod:`rnnlib.data.words`: word tokenisation and word vocabularies.
* :mod:`rnnlib.data.reviews`: review sentences labelled positive or negative (Kotzias et al., vendored).
* :mod:`rnnlib.data.chorales`: Bach's four-part chorales (music21's corpus) as note grids and voice tokens.
* :mod:`rnnlib.data.scenes`: scenes of handwritten digits on a canvas, captioned in words.
* :mod:`rnnlib.data.audio`: frames, STFT, mel filterbank, log-mel features in numpy.
* :mod:`rnnlib.data.speech`: digit strings spoken by espeak-ng with many voices, for CTC.
* :mod:`rnnlib.data.vowels`: nine speakers saying /ae/, real recordings as cepstral frames (Kudo et al.).
"""

from rnnlib.data.audio import frame_signal, hann_window, log_mel, mel_filterbank, power_spectrogram
from rnnlib.data.chorales import Chorale, load_chorales, split_chorales
from rnnlib.data.dates import make_dates, render_date, split_by_date
from rnnlib.data.reviews import LabelledSentences, Reviews, load_reviews, review_sentences
from rnnlib.data.series import (
    LabelledSequences,
    Series,
    Standardizer,
    chronological_split,
    co2,
    digits_sequences,
    make_windows,
    stratified_split,
    sunspots,
)
from rnnlib.data.scenes import (
    CAPTION_WORDS,
    DigitPool,
    SceneBatch,
    Scenes,
    caption_for,
    collate_scenes,
    decode_caption,
    digit_pools,
    encode_caption,
    make_scenes,
)
from rnnlib.data.speech import SpokenDigits, spoken_digits
from rnnlib.data.surnames import LabelledNames, Surnames, load_surnames
from rnnlib.data.synthetic import IGNORE_INDEX, adding_problem, copy_task, future_tagging, future_tags, noisy_sine
from rnnlib.data.text import batchify, bptt_chunks, stdlib_corpus, stdlib_files, train_val_split_text
from rnnlib.data.vocab import (
    BOS_ID,
    EOS_ID,
    PAD_ID,
    UNK_ID,
    PaddedBatch,
    Seq2SeqBatch,
    Seq2SeqDataset,
    SequenceBatch,
    SequenceDataset,
    Vocab,
    collate_seq2seq,
    collate_sequences,
    pad_batch,
)
from rnnlib.data.vowels import Utterances, japanese_vowels
from rnnlib.data.words import WordVocab, tokenize
from rnnlib.data.weather import seattle_weather

__all__ = [
    "Chorale", "load_chorales", "split_chorales",
    "make_dates", "render_date", "split_by_date",
    "LabelledSequences", "Series", "Standardizer", "chronological_split", "co2", "digits_sequences",
    "make_windows", "stratified_split", "sunspots",
    "LabelledNames", "Surnames", "load_surnames",
    "IGNORE_INDEX", "adding_problem", "copy_task", "future_tagging", "future_tags", "noisy_sine",
    "batchify", "bptt_chunks", "stdlib_corpus", "stdlib_files", "train_val_split_text",
    "BOS_ID", "EOS_ID", "PAD_ID", "UNK_ID", "PaddedBatch", "Seq2SeqBatch", "Seq2SeqDataset", "SequenceBatch",
    "SequenceDataset", "Vocab", "collate_seq2seq", "collate_sequences", "pad_batch",
    "LabelledSentences", "Reviews", "load_reviews", "review_sentences",
    "WordVocab", "tokenize",
    "seattle_weather",
    "CAPTION_WORDS", "DigitPool", "SceneBatch", "Scenes", "caption_for", "collate_scenes", "decode_caption",
    "digit_pools", "encode_caption", "make_scenes",
    "frame_signal", "hann_window", "log_mel", "mel_filterbank", "power_spectrogram", "SpokenDigits",
    "spoken_digits",
    "Utterances", "japanese_vowels",
]
