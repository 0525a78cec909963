import pytest
import torch

from rnnlib.models import Captioner, ConvEncoder, beam_decode, pretrain_encoder

V, E, H = 9, 6, 10


def make(attention=True, cell="lstm", size=(16, 20), seed=0):
    g = torch.Generator().manual_seed(seed)
    return Captioner(size, V, E, H, attention=attention, cell=cell, channels=(3, 4, 5), attn_size=7,
                     bos=1, eos=2, generator=g)


def images(B, size=(16, 20), seed=1):
    return torch.rand(B, 1, *size, generator=torch.Generator().manual_seed(seed))


def test_conv_encoder_grid_is_the_feature_map_read_row_by_row():
    enc = ConvEncoder(1, (3, 4, 5), generator=torch.Generator().manual_seed(0))
    x = images(2)
    grid = enc(x)
    h, w = ConvEncoder.grid_shape((16, 20))
    assert (h, w) == (4, 5) and grid.shape == (h * w, 2, 5)
    fmap = enc.net(x)  # (B, D, h, w)
    for loc in (0, 3, 7, 19):
        torch.testing.assert_close(grid[loc], fmap[:, :, loc // w, loc % w])


@pytest.mark.parametrize("attention", [True, False])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("B, T", [(1, 1), (3, 5)])
def test_forward_shapes_and_attention_sums_to_one(attention, cell, B, T):
    model = make(attention, cell)
    tokens = torch.randint(3, V, (T, B), generator=torch.Generator().manual_seed(2))
    logits, weights = model(images(B), tokens)
    assert logits.shape == (T, B, V)
    if attention:
        assert weights.shape == (T, 4 * 5, B)
        torch.testing.assert_close(weights.sum(1), torch.ones(T, B))
        assert (weights >= 0).all()
    else:
        assert weights is None


def test_the_same_seed_gives_the_same_weights_and_gradients_reach_the_encoder():
    a, b = make(seed=3), make(seed=3)
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        assert torch.equal(p, q), name
    assert not torch.equal(make(seed=4).encoder.net[0].weight, a.encoder.net[0].weight)
    tokens = torch.randint(3, V, (4, 2), generator=torch.Generator().manual_seed(2))
    logits, _ = a(images(2), tokens)
    torch.nn.functional.cross_entropy(logits.flatten(0, 1), tokens.flatten()).backward()
    assert a.encoder.net[0].weight.grad.abs().sum() > 0


def test_without_attention_the_image_enters_only_through_the_start_state():
    model = make(attention=False)
    tokens = torch.randint(3, V, (4, 2), generator=torch.Generator().manual_seed(2))
    state, grid, mask = model.encode(images(2))
    logits, s = [], state
    token = torch.full((2,), 1)
    for t in range(4):
        step_logits, s, _ = model.decoder.step(token, s)  # no grid given
        logits.append(step_logits)
        token = tokens[t]
    torch.testing.assert_close(torch.stack(logits), model(images(2), tokens)[0])


@pytest.mark.parametrize("attention", [True, False])
def test_greedy_generate_writes_the_argmax_and_stops_at_eos(attention):
    model = make(attention)
    x = images(4)
    tokens = model.generate(x, max_len=6, temperature=0)
    assert tokens.dtype == torch.int64 and tokens.shape[1] == 4 and 1 <= tokens.shape[0] <= 6
    logits, weights = model(x, tokens)  # replay: step t reads tokens[t - 1]
    for b in range(4):
        col = tokens[:, b].tolist()
        end = col.index(2) + 1 if 2 in col else len(col)
        assert col[:end] == logits[:end, b].argmax(-1).tolist()
        assert all(t == 2 for t in col[end:])


def test_greedy_generate_equals_beam_search_of_width_one():
    for attention in (True, False):
        model = make(attention)
        x = images(3)
        tokens = model.generate(x, max_len=6, temperature=0)
        hyps = beam_decode(model, x, None, beam_width=1, max_len=6)
        for b in range(3):
            col = tokens[:, b].tolist()
            assert hyps[b][0].tokens == col[:col.index(2) + 1 if 2 in col else len(col)]


def test_sampling_follows_the_generator_and_eos_can_be_overridden():
    model = make()
    x = images(5)
    a = model.generate(x, 8, temperature=1.0, generator=torch.Generator().manual_seed(0))
    b = model.generate(x, 8, temperature=1.0, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a, b)
    with torch.no_grad():
        model.decoder.head.bias[0] = -1e4  # token 0 is never written: ending on it gives always max_len tokens
    never = model.generate(x, 5, eos=0, generator=torch.Generator().manual_seed(0))
    assert never.shape == (5, 5)


def test_bad_input_is_refused():
    model = make()
    with pytest.raises(ValueError, match=r"\(P_h, P_w\)=\(16, 20\)"):
        model.generate(images(2, size=(16, 16)), 4)
    with pytest.raises(ValueError, match="C=1"):
        model.encoder(torch.rand(2, 3, 16, 20))
    with pytest.raises(ValueError, match="max_len"):
        model.generate(images(2), 0)
    with pytest.raises(ValueError, match="temperature"):
        model.generate(images(2), 4, temperature=-1.0)
    with pytest.raises(ValueError, match="integer token ids"):
        model(images(2), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="B=2"):
        model(images(2), torch.zeros(3, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="image_size"):
        Captioner((3, 20), V, E, H)


def test_pretrain_encoder_learns_to_tell_two_patterns_apart():
    # Class 0: a bright square at the top left; class 1: at the bottom right. Anywhere, the max-pooled grid
    # must tell them apart once trained.
    x = torch.zeros(64, 1, 16, 20)
    y = torch.arange(64) % 2
    x[y == 0, :, 1:5, 1:5] = 1.0
    x[y == 1, :, 10:14, 14:18] = torch.linspace(0.2, 1.0, 4)
    enc = ConvEncoder(1, (3, 4, 5), generator=torch.Generator().manual_seed(0))
    acc = pretrain_encoder(enc, x, y, epochs=15, batch_size=16, generator=torch.Generator().manual_seed(0))
    assert len(acc) == 15 and acc[-1] == 1.0 and enc.training
    with pytest.raises(ValueError, match="labels"):
        pretrain_encoder(enc, x, y.float(), epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        pretrain_encoder(enc, x, y, epochs=0)
