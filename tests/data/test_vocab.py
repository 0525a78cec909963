import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.utils.data import DataLoader

from rnnlib.data.vocab import (
    BOS_ID,
    EOS_ID,
    PAD_ID,
    UNK_ID,
    Seq2SeqDataset,
    SequenceDataset,
    Vocab,
    collate_seq2seq,
    collate_sequences,
    pad_batch,
)


@pytest.fixture
def vocab():
    return Vocab.build(["hello", "world"])


def test_special_ids_and_order(vocab):
    assert (PAD_ID, BOS_ID, EOS_ID, UNK_ID) == (0, 1, 2, 3)
    assert vocab.itos[:4] == ["<pad>", "<bos>", "<eos>", "<unk>"]
    assert vocab.itos[4:] == sorted("helowrd")
    assert len(vocab) == 4 + 7
    assert "h" in vocab and "z" not in vocab


def test_build_is_independent_of_text_order_and_counts():
    assert Vocab.build(["ba", "cc"]).itos == Vocab.build(["c", "cab"]).itos == Vocab.build(["abc"]).itos


def test_min_freq_leaves_rare_characters_unknown():
    v = Vocab.build(["aab"], min_freq=2)
    assert v.itos[4:] == ["a"]
    assert v.encode("ab") == [4, UNK_ID]


def test_round_trip(vocab):
    for text in ("hello", "world", "lol", "d"):
        assert vocab.decode(vocab.encode(text)) == text
    ids = vocab.encode("hello", add_bos=True, add_eos=True)
    assert ids[0] == BOS_ID and ids[-1] == EOS_ID and len(ids) == 7
    assert vocab.decode(ids) == "hello"
    assert vocab.decode(ids, strip_special=False) == "<bos>hello<eos>"
    assert vocab.decode(torch.tensor(ids + [PAD_ID, PAD_ID])) == "hello"


def test_unknown_characters_map_to_unk(vocab):
    ids = vocab.encode("hex!")
    assert ids == [vocab.stoi["h"], vocab.stoi["e"], UNK_ID, UNK_ID]
    assert vocab.decode(ids) == "he<unk><unk>"


def test_strict_encoding_raises_on_unknown(vocab):
    with pytest.raises(ValueError, match="'x'"):
        vocab.encode("hex", strict=True)
    assert vocab.encode("he", strict=True) == vocab.encode("he")


def test_vocab_errors(vocab):
    with pytest.raises(ValueError, match="empty"):
        Vocab.build([])
    with pytest.raises(ValueError, match="strings"):
        Vocab.build([["a", "b"]])
    with pytest.raises(ValueError, match="outside"):
        vocab.decode([len(vocab)])
    with pytest.raises(ValueError, match="distinct"):
        Vocab(["a", "a"])


def test_pad_batch_hand_checked():
    tokens, lengths, mask = pad_batch([[5, 6, 7], [8]])
    assert tokens.tolist() == [[5, 8], [6, 0], [7, 0]]
    assert lengths.tolist() == [3, 1]
    assert mask.tolist() == [[True, True], [True, False], [True, False]]
    assert tokens.dtype == lengths.dtype == torch.int64 and mask.dtype == torch.bool
    assert pad_batch([[5], [6, 7]], pad_id=9).tokens.tolist() == [[5, 6], [9, 7]]


def test_pad_batch_works_with_packing():
    seqs = [[4, 5], [6, 7, 8, 9], [10]]
    tokens, lengths, mask = pad_batch(seqs)
    packed = pack_padded_sequence(tokens, lengths, enforce_sorted=False)
    unpacked, unpacked_lengths = pad_packed_sequence(packed)
    assert torch.equal(unpacked, tokens) and torch.equal(unpacked_lengths, lengths)
    assert torch.equal(mask, tokens != PAD_ID)


def test_pad_batch_errors():
    with pytest.raises(ValueError, match="empty"):
        pad_batch([])
    with pytest.raises(ValueError, match="sequence 1 is empty"):
        pad_batch([[1], []])


def test_sequence_dataset_with_dataloader(vocab):
    names, labels = ["hello", "world", "he", "lo"], [0, 1, 1, 0]
    ds = SequenceDataset([vocab.encode(n) for n in names], labels)
    assert len(ds) == 4 and ds[2] == (vocab.encode("he"), 1)
    batches = list(DataLoader(ds, batch_size=3, collate_fn=collate_sequences))
    tokens, lengths, mask, y = batches[0]
    assert tokens.shape == (5, 3) and lengths.tolist() == [5, 5, 2] and y.tolist() == [0, 1, 1]
    assert mask.sum().item() == 12
    assert vocab.decode(tokens[:, 2]) == "he"
    assert batches[1].tokens.shape == (2, 1)


def test_seq2seq_dataset_with_dataloader(vocab):
    src = [vocab.encode("hello"), vocab.encode("lo")]
    tgt = [vocab.encode("wo", add_bos=True, add_eos=True), vocab.encode("world", add_bos=True, add_eos=True)]
    ds = Seq2SeqDataset(src, tgt)
    batch = next(iter(DataLoader(ds, batch_size=2, collate_fn=collate_seq2seq)))
    assert batch.src.shape == (5, 2) and batch.tgt.shape == (7, 2)
    assert batch.src_lengths.tolist() == [5, 2] and batch.tgt_lengths.tolist() == [4, 7]
    assert batch.tgt[0].tolist() == [BOS_ID, BOS_ID]
    assert batch.tgt_mask[:, 0].tolist() == [True] * 4 + [False] * 3
    assert vocab.decode(batch.tgt[:, 0]) == "wo"


def test_empty_datasets_are_refused():
    with pytest.raises(ValueError, match="seqs is empty"):
        SequenceDataset([], [])
    with pytest.raises(ValueError, match="sources is empty"):
        Seq2SeqDataset([], [])
    with pytest.raises(ValueError, match=r"seqs\[1\] is empty"):
        SequenceDataset([[4], []], [0, 1])
    with pytest.raises(ValueError, match="same length"):
        SequenceDataset([[4], [5]], [0])
    with pytest.raises(ValueError, match="same length"):
        Seq2SeqDataset([[4], [5]], [[6]])
    with pytest.raises(ValueError, match="empty"):
        collate_sequences([])
