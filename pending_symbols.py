"""Symbol renames of issue 15 (item 4) for the chapters rewritten in parallel (ch06, ch09, ch10, ch12).

Run from the repository root after merging those chapters:  .venv/bin/python pending_symbols.py
Every (old, new) pair is an exact text replacement in the notebook's markdown cells, applied with
/work/tools/nbedit.py so the notebook's JSON layout is kept. Each `old` must occur exactly once in the
notebook's markdown. If any pair of a notebook does not, the script changes nothing in that notebook, prints
every failing pair and exits with status 1; fix the pair (or drop it if the new text no longer has the symbol)
and run again. Pairs already applied (`new` present, `old` absent) are skipped, so re-running is safe.

  ch09: number of stacked layers L -> M (L stays the loss)
  ch10, ch12: context vector c, c_t -> \mathrm{ctx}, \mathrm{ctx}_t (c_t stays the LSTM cell state)
  ch06: characters c_t -> y_t (c_t stays the LSTM cell state; y_t as for the decoders of ch10-ch12)

Code cells are not edited here; see the report of branch `symbols` for the code comments and printed labels
that name these symbols (ch09: "(L, B, H)" comments and formula(G, D, H, L); ch10: the diagram label
"$c = s_0$"; ch12: the comment "g = dL/dc for the loss L = sum(c * g)").
"""
import json
import sys

sys.path.insert(0, "/work/tools")
from nbedit import load, save, split_source  # noqa: E402

PAIRS = {
    'book/ch06_char_lm.ipynb': [
        ('Write a text as characters $c_1, c_2, \\dots, c_N$. By the chain rule of probability, any distribution over',
         'Write a text as characters $y_1, y_2, \\dots, y_N$. By the chain rule of probability, any distribution over'),
        ('p(c_1, \\dots, c_N) = \\prod_{t=1}^{N} p(c_t \\mid c_1, \\dots, c_{t-1}).',
         'p(y_1, \\dots, y_N) = \\prod_{t=1}^{N} p(y_t \\mid y_1, \\dots, y_{t-1}).'),
        ('prefix $c_1, \\dots, c_{t-1}$, and a softmax layer on top turns it into a distribution over the $V$ characters',
         'prefix $y_1, \\dots, y_{t-1}$, and a softmax layer on top turns it into a distribution over the $V$ characters'),
        ('\\mathcal{L} = -\\frac{1}{N} \\sum_{t=1}^{N} \\ln p(c_t \\mid c_1, \\dots, c_{t-1}) \\quad \\text{nats per character}.',
         '\\mathcal{L} = -\\frac{1}{N} \\sum_{t=1}^{N} \\ln p(y_t \\mid y_1, \\dots, y_{t-1}) \\quad \\text{nats per character}.'),
        ('x_t &= \\operatorname{Embed}(c_{t-1}) \\in \\mathbb{R}^{B \\times E},\\\\',
         'x_t &= \\operatorname{Embed}(y_{t-1}) \\in \\mathbb{R}^{B \\times E},\\\\'),
        ('p(c_t = v \\mid c_{<t}) = \\operatorname{softmax}(\\ell_t)_v = \\frac{e^{\\ell_{t,v}}}{\\sum_{u=1}^{V} e^{\\ell_{t,u}}},',
         'p(y_t = v \\mid y_{<t}) = \\operatorname{softmax}(\\ell_t)_v = \\frac{e^{\\ell_{t,v}}}{\\sum_{u=1}^{V} e^{\\ell_{t,u}}},'),
        ('$\\mathcal{L} = -\\frac{1}{TB} \\sum_{t=1}^{T} \\sum_{b=1}^{B} \\ln p(c_t^{(b)} \\mid c_{<t}^{(b)})$, in nats per',
         '$\\mathcal{L} = -\\frac{1}{TB} \\sum_{t=1}^{T} \\sum_{b=1}^{B} \\ln p(y_t^{(b)} \\mid y_{<t}^{(b)})$, in nats per'),
        ('character $c_{t-1}$ and is scored on how much probability it gives the true $c_t$; it never reads its own',
         'character $y_{t-1}$ and is scored on how much probability it gives the true $y_t$; it never reads its own'),
        ('$\\hat c_{t-1}$, a kind of input it never saw in training, and errors can compound. In arrays, counting from',
         '$\\hat y_{t-1}$, a kind of input it never saw in training, and errors can compound. In arrays, counting from'),
        ('zero as everywhere in the course, `inputs[t - 1]` holds $c_{t-1}$ and `targets[t - 1]` holds $c_t$, for all',
         'zero as everywhere in the course, `inputs[t - 1]` holds $y_{t-1}$ and `targets[t - 1]` holds $y_t$, for all'),
        ('- A language model predicts every next character from the ones before it, $p(c_t \\mid c_{<t})$; it is scored',
         '- A language model predicts every next character from the ones before it, $p(y_t \\mid y_{<t})$; it is scored'),
        ('- Training used teacher forcing (the input at step $t$ is the true character $c_{t-1}$) and truncated',
         '- Training used teacher forcing (the input at step $t$ is the true character $y_{t-1}$) and truncated'),
        ('Teacher forcing feeds the true character $c_{t-1}$ at step $t$ in training. What does the model receive at',
         'Teacher forcing feeds the true character $y_{t-1}$ at step $t$ in training. What does the model receive at'),
        ('When it writes, its input is its own previous sample $\\hat c_{t-1}$. The held-out loss is still measured with',
         'When it writes, its input is its own previous sample $\\hat y_{t-1}$. The held-out loss is still measured with'),
    ],
    'book/ch09_deep_bidirectional.ipynb': [
        ('- write the equations of an $L$-layer recurrent stack, give the shape of every weight and output, and',
         '- write the equations of an $M$-layer recurrent stack, give the shape of every weight and output, and'),
        ('An $L$-layer recurrent network is $L$ recurrent layers in which the input sequence of layer $l$ is the hidden',
         'An $M$-layer recurrent network is $M$ recurrent layers in which the input sequence of layer $l$ is the hidden'),
        ('\\qquad l = 1, \\dots, L, \\quad t = 1, \\dots, T,',
         '\\qquad l = 1, \\dots, M, \\quad t = 1, \\dots, T,'),
        ("things: `out` of shape $(T, B, H)$ holds the **top** layer's states $h^{(L)}_1, \\dots, h^{(L)}_T$, and `h_n` of",
         "things: `out` of shape $(T, B, H)$ holds the **top** layer's states $h^{(M)}_1, \\dots, h^{(M)}_T$, and `h_n` of"),
        ("shape $(L, B, H)$ holds **every** layer's last state $h^{(1)}_T, \\dots, h^{(L)}_T$. The initial state `h0`",
         "shape $(M, B, H)$ holds **every** layer's last state $h^{(1)}_T, \\dots, h^{(M)}_T$. The initial state `h0`"),
        ("has that same shape $(L, B, H)$. The lower layers' full state sequences are computed but not returned.",
         "has that same shape $(M, B, H)$. The lower layers' full state sequences are computed but not returned."),
        ('crosses $L$ nonlinear layers, where a single layer had one; the longest path, from $x_1$ to $h^{(L)}_T$, has',
         'crosses $M$ nonlinear layers, where a single layer had one; the longest path, from $x_1$ to $h^{(M)}_T$, has'),
        ('$T + L - 1$ steps, so gradients travel a little further than in one layer. {cite:t}`graves2013generating` added',
         '$T + M - 1$ steps, so gradients travel a little further than in one layer. {cite:t}`graves2013generating` added'),
        ('mode, each entry of $h^{(l)}_t$ for $l < L$ is set to zero with probability $p$ and the survivors are scaled by',
         'mode, each entry of $h^{(l)}_t$ for $l < M$ is set to zero with probability $p$ and the survivors are scaled by'),
        ('passes it on only for $L > 1$.',
         'passes it on only for $M > 1$.'),
        ('input is the $2H$-feature output of the level below, `h_n` has shape $(2L, B, H)$ ordered layer by layer,',
         'input is the $2H$-feature output of the level below, `h_n` has shape $(2M, B, H)$ ordered layer by layer,'),
        ('- A stack of $L$ recurrent layers feeds the state sequence of layer $l-1$ to layer $l$ as its input:',
         '- A stack of $M$ recurrent layers feeds the state sequence of layer $l-1$ to layer $l$ as its input:'),
        ('  $(L, B, H)$ every layer at the last step. Rebuilding a two-layer `torch.nn.GRU` with `scratch.gru_forward`',
         '  $(M, B, H)$ every layer at the last step. Rebuilding a two-layer `torch.nn.GRU` with `scratch.gru_forward`'),
    ],
    'book/ch10_encoder_decoder.ipynb': [
        ('  end it compresses what it has read into a single vector $c$ of fixed size, the **context vector**.',
         '  end it compresses what it has read into a single vector $\\mathrm{ctx}$ of fixed size, the **context vector**.'),
        ('- The **decoder** is a language model over target characters that starts from $c$ instead of from zeros. It',
         '- The **decoder** is a language model over target characters that starts from $\\mathrm{ctx}$ instead of from zeros. It'),
        ('through $c$, a vector of the same size for a date of 8 characters and for one of 30: $c$ is a **bottleneck**.',
         'through $\\mathrm{ctx}$, a vector of the same size for a date of 8 characters and for one of 30: $\\mathrm{ctx}$ is a **bottleneck**.'),
        ("the forward chain's last state and the backward chain's first. They are joined into $c$, which becomes the",
         "the forward chain's last state and the backward chain's first. They are joined into $\\mathrm{ctx}$, which becomes the"),
        ('c &= \\tanh\\big([\\overrightarrow{h}_S\\, ;\\, \\overleftarrow{h}_1]\\, W_b^\\top + b_b\\big),',
         '\\mathrm{ctx} &= \\tanh\\big([\\overrightarrow{h}_S\\, ;\\, \\overleftarrow{h}_1]\\, W_b^\\top + b_b\\big),'),
        ("context vector $c$ is $(B, H_{dec})$. The decoder, with its own embedding $e'(\\cdot)$ and a GRU of $H_{dec}$",
         "context vector $\\mathrm{ctx}$ is $(B, H_{dec})$. The decoder, with its own embedding $e'(\\cdot)$ and a GRU of $H_{dec}$"),
        ('s_0 &= c,\\\\',
         's_0 &= \\mathrm{ctx},\\\\'),
        ('The source enters these equations in one place only: $c$. {cite:t}`sutskever2014sequence` used it exactly like',
         'The source enters these equations in one place only: $\\mathrm{ctx}$. {cite:t}`sutskever2014sequence` used it exactly like'),
        ("this, as the decoder's initial state. {cite:t}`cho2014learning` also fed $c$ to every decoder step and to the",
         "this, as the decoder's initial state. {cite:t}`cho2014learning` also fed $\\mathrm{ctx}$ to every decoder step and to the"),
        ('bridge (`encoder.bridge` is $W_b, b_b$) and returns the per-step states and $c$ (which it calls the `summary`);',
         'bridge (`encoder.bridge` is $W_b, b_b$) and returns the per-step states and $\\mathrm{ctx}$ (which it calls the `summary`);'),
        ("builds the model, encodes four test sources and recomputes $c$ by hand from the encoder's per-step states: the",
         "builds the model, encodes four test sources and recomputes $\\mathrm{ctx}$ by hand from the encoder's per-step states: the"),
        ('reads them. To make that concrete, here is greedy decoding written by hand from $c$ alone: at every step the',
         'reads them. To make that concrete, here is greedy decoding written by hand from $\\mathrm{ctx}$ alone: at every step the'),
        ('Untrained, the network writes nonsense of the right alphabet. Training has to put the date into $c$.',
         'Untrained, the network writes nonsense of the right alphabet. Training has to put the date into $\\mathrm{ctx}$.'),
        ('or 2), so part of the training signal rewards reading the target prefix rather than $c$; a free-running',
         'or 2), so part of the training signal rewards reading the target prefix rather than $\\mathrm{ctx}$; a free-running'),
        ("decoder's inputs carry no such information early on, so the only way down is to read $c$. One seed and one",
         "decoder's inputs carry no such information early on, so the only way down is to read $\\mathrm{ctx}$. One seed and one"),
        ('{glue:text}`ch10_day_chance` of cases. Many mistakes are near misses, as if the day were stored in $c$ as an',
         '{glue:text}`ch10_day_chance` of cases. Many mistakes are near misses, as if the day were stored in $\\mathrm{ctx}$ as an'),
        ('If $c$ is the only link, then $c$ must hold the date. Two tests. First, take six test dates that the model',
         'If $\\mathrm{ctx}$ is the only link, then $\\mathrm{ctx}$ must hold the date. Two tests. First, take six test dates that the model'),
        ('decoder should write the date of the source that $c$ came from, whatever source sits in that row of the',
         'decoder should write the date of the source that $\\mathrm{ctx}$ came from, whatever source sits in that row of the'),
        ('the source is in $c$. And the vector encodes the day, not the text. Texts of the same day in different',
         'the source is in $\\mathrm{ctx}$. And the vector encodes the day, not the text. Texts of the same day in different'),
        ('  $c$ of fixed size, and writes the target with a second recurrent network that starts from $s_0 = c$',
         '  $\\mathrm{ctx}$ of fixed size, and writes the target with a second recurrent network that starts from $s_0 = \\mathrm{ctx}$'),
        ('  $c = \\tanh([\\overrightarrow{h}_S ; \\overleftarrow{h}_1] W_b^\\top + b_b)$, of shape $(B, H_{dec})$ for any source',
         '  $\\mathrm{ctx} = \\tanh([\\overrightarrow{h}_S ; \\overleftarrow{h}_1] W_b^\\top + b_b)$, of shape $(B, H_{dec})$ for any source'),
        ('  length; decoding from $c$ alone gave exactly what `Seq2Seq.greedy_decode` gave from the whole source.',
         '  length; decoding from $\\mathrm{ctx}$ alone gave exactly what `Seq2Seq.greedy_decode` gave from the whole source.'),
        ("per-step states, of $c$, of the decoder's state $s_t$ and of the logits that `Seq2Seq.forward` returns for",
         "per-step states, of $\\mathrm{ctx}$, of the decoder's state $s_t$ and of the logits that `Seq2Seq.forward` returns for"),
        ('positions of each source; $c$ is $(B, H_{dec}) = (32, 128)$, as is every decoder state $s_t$; the logits are',
         'positions of each source; $\\mathrm{ctx}$ is $(B, H_{dec}) = (32, 128)$, as is every decoder state $s_t$; the logits are'),
        ('one vector $c$ encodes the whole date and several characters are read from the same part of the code. An exact',
         'one vector $\\mathrm{ctx}$ encodes the whole date and several characters are read from the same part of the code. An exact'),
        ('characters away from the date that $c$ encodes. This is exposure bias: the training inputs come from the data,',
         'characters away from the date that $\\mathrm{ctx}$ encodes. This is exposure bias: the training inputs come from the data,'),
    ],
    'book/ch12_attention.ipynb': [
        ('3. reads the **context** $c_t = \\sum_j \\alpha_{t,j} h_j$, an average of the encoder states dominated by the',
         '3. reads the **context** $\\mathrm{ctx}_t = \\sum_j \\alpha_{t,j} h_j$, an average of the encoder states dominated by the'),
        ('c_t = \\sum_{j=1}^{S} \\alpha_{t,j}\\, v_j .',
         '\\mathrm{ctx}_t = \\sum_{j=1}^{S} \\alpha_{t,j}\\, v_j .'),
        ("\\overleftarrow{h}_1)$; ours is a linear layer on $[s_t; c_t]$, and $s_0$ is the encoder's final state. At step",
         "\\overleftarrow{h}_1)$; ours is a linear layer on $[s_t; \\mathrm{ctx}_t]$, and $s_0$ is the encoder's final state. At step"),
        ('c_t, \\alpha_t &= \\operatorname{attend}(s_{t-1}, h_{1:S}), \\\\',
         '\\mathrm{ctx}_t, \\alpha_t &= \\operatorname{attend}(s_{t-1}, h_{1:S}), \\\\'),
        ('s_t &= \\operatorname{GRU}\\big([\\operatorname{emb}(y_{t-1}); c_t],\\ s_{t-1}\\big), \\\\',
         's_t &= \\operatorname{GRU}\\big([\\operatorname{emb}(y_{t-1}); \\mathrm{ctx}_t],\\ s_{t-1}\\big), \\\\'),
        ('\\operatorname{logits}_t &= [s_t; c_t]\\, W_o^\\top + b_o ,',
         '\\operatorname{logits}_t &= [s_t; \\mathrm{ctx}_t]\\, W_o^\\top + b_o ,'),
        ('gradients of a loss $\\sum c \\odot g$ (for a random $g$) with respect to the query, keys, values and parameters:',
         'gradients of a loss $\\sum \\mathrm{ctx} \\odot g$ (for a random $g$) with respect to the query, keys, values and parameters:'),
    ],
}


def apply(path, pairs):
    nb = load(path)
    md = [c for c in nb["cells"] if c["cell_type"] == "markdown"]
    failures, todo = [], []
    for old, new in pairs:
        n_old = sum("".join(c["source"]).count(old) for c in md)
        if n_old == 1:
            todo.append((old, new))
        elif n_old == 0 and any(new in "".join(c["source"]) for c in md):
            continue  # already applied
        else:
            failures.append(f"{path}: occurs {n_old} times, expected once:\n    {old!r}")
    if failures:
        return failures
    for old, new in todo:
        for c in md:
            s = "".join(c["source"])
            if old in s:
                c["source"] = split_source(s.replace(old, new))
    save(path, nb)
    print(f"{path}: {len(todo)} replacements")
    return []


if __name__ == "__main__":
    failures = [f for path in (sys.argv[1:] or PAIRS) for f in apply(path, PAIRS[path])]
    if failures:
        print("\n".join(failures), file=sys.stderr)
        sys.exit(f"{len(failures)} pair(s) failed; their notebooks were left unchanged")
