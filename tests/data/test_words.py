import pytest
import torch
from torch.utils.data import DataLoader

from rnnlib.data.vocab import BOS_ID, EOS_ID, PAD_ID, UNK_ID, SequenceDataset, Vocab, collate_sequences
from rnnlib.data.words import WordVocab, tokenize


@pytest.mark.parametrize("text, tokens", [
    ("Didn't LOVE it... 5/10!", ["didn't", "love", "it", "5", "10", "!"]),
    ("Not good.", ["not", "good"]),
    ("It\u2019s great?!", ["it's", "great", "?", "!"]),
    ("won't, isn't", ["won't", "isn't"]),
    ("Café -- très bien", ["café", "très", "bien"]),
    ("snake_case and 'quoted'", ["snake", "case", "and", "quoted"]),
    ("...", []),
])
def test_tokenize(text, tokens):
    assert tokenize(text) == tokens


def test_tokenize_refuses_non_strings():
    with pytest.raises(ValueError, match="str"):
        tokenize(["not", "a", "string"])


@pytest.fixture
def vocab():
    return WordVocab.build(["The food was good.", "The food was not good!", "Awful food."])


def test_build_orders_by_count_then_alphabet(vocab):
    assert isinstance(vocab, Vocab)
    assert vocab.itos[:4] == ["<pad>", "<bos>", "<eos>", "<unk>"]
    # food 3; good, the, was 2; then the words seen once, alphabetically.
    assert vocab.itos[4:] == ["food", "good", "the", "was", "!", "awful", "not"]
    assert "not" in vocab and "bad" not in vocab


def test_build_min_freq_and_max_size():
    texts = ["a a a b b c", "a b"]
    assert WordVocab.build(texts, min_freq=2).itos[4:] == ["a", "b"]
    assert WordVocab.build(texts, max_size=1).itos[4:] == ["a"]
    with pytest.raises(ValueError, match="empty"):
        WordVocab.build([])
    with pytest.raises(ValueError, match="strings"):
        WordVocab.build([["a", "list"]])


def test_encode_decode_round_trip(vocab):
    ids = vocab.encode("The food was NOT good", add_bos=True, add_eos=True)
    assert ids[0] == BOS_ID and ids[-1] == EOS_ID and len(ids) == 7
    assert vocab.decode(ids) == "the food was not good"
    assert vocab.encode("The soup was bad") == [vocab.stoi["the"], UNK_ID, vocab.stoi["was"], UNK_ID]
    assert vocab.decode(vocab.encode("soup")) == "<unk>"
    with pytest.raises(ValueError, match="soup"):
        vocab.encode("the soup", strict=True)
    with pytest.raises(ValueError, match="outside"):
        vocab.decode([len(vocab)])


@pytest.mark.parametrize("words, match", [
    (["good", "good"], "distinct"), (["two words"], "whitespace"), ([""], "non-empty"), (["<pad>"], "special"),
])
def test_constructor_checks_words(words, match):
    with pytest.raises(ValueError, match=match):
        WordVocab(words)


def test_custom_tokenizer_is_used_by_build_and_encode():
    vocab = WordVocab.build(["a-bc"], tokenizer=lambda s: s.split("-"))
    assert vocab.itos[4:] == ["a", "bc"]
    assert vocab.encode("bc-a") == [5, 4]


def test_batches_through_the_existing_collate(vocab):
    texts = ["the food was good", "awful"]
    loader = DataLoader(SequenceDataset([vocab.encode(t) for t in texts], [1, 0]), batch_size=2,
                        collate_fn=collate_sequences)
    batch = next(iter(loader))
    assert batch.tokens.shape == (4, 2) and batch.lengths.tolist() == [4, 1]
    assert (batch.tokens[1:, 1] == PAD_ID).all() and torch.equal(batch.labels, torch.tensor([1, 0]))
