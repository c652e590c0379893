"""Every task family's model card has a usage snippet that runs verbatim and prints the model's own
predictions (issue 14).

For each family a tiny model is trained here and pushed with its card; the python code of the
card's "How to use" section, fetched from the hub, runs as written in a fresh process (the test
hub through ``HF_ENDPOINT`` from the environment), and what it prints must be what hubkit itself
predicted for the same examples (classification, tagging, QA), or what the saved model itself
predicts (the fill-mask and greedy-generation outputs of the language models).
"""

from __future__ import annotations

import ast
import json
import os
import random
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Callable

import pytest

from hubkit.recipes import recipe_for
from hubkit.train.fine_tune import TrainRequest, fine_tune
from helpers.data import WORDS, write_conll, write_mrpc, write_squad, write_sst2, write_wikitext

USAGE = re.compile(r"<!-- hubkit:begin usage -->\n(.*?)<!-- hubkit:end usage -->", re.DOTALL)
CODE = re.compile(r"```python\n(.*?)```", re.DOTALL)


def train(dataset: str, data: Path, out: Path, model: Path, **recipe: Any) -> Path:
    values = {"model": str(model), "epochs": 3, "batch_size": 16, "learning_rate": 3e-3, "warmup_ratio": 0.0,
              "early_stopping_patience": 0, **recipe}
    fine_tune(TrainRequest(dataset=dataset, data_dir=str(data), output_dir=out,
                           recipe=recipe_for(dataset, overrides=values), n_resamples=20, progress=False))
    return out


def tiny_gpt2(folder: Path) -> Path:
    """A 2-layer GPT-2 with a byte-level BPE trained on the same kind of prose."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from hubkit.train.scratch import train_tokenizer

    rng = random.Random(2)
    texts = [" ".join(rng.choice(WORDS) for _ in range(20)) for _ in range(200)]
    tokenizer = train_tokenizer(texts, "clm", 300, 128)
    tokenizer.pad_token = tokenizer.eos_token
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), n_positions=128, n_embd=32, n_layer=2, n_head=2,
                                       eos_token_id=tokenizer.eos_token_id, bos_token_id=tokenizer.eos_token_id))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def hubkit_predictions(out: Path, key: Callable[[dict], Any]) -> list[Any]:
    """What hubkit predicted for the card's examples, read from the run's own predictions file."""
    examples = json.loads((out / "usage_examples.json").read_text())
    rows = [json.loads(line) for line in (out / f"predictions_{examples['split']}.jsonl").read_text().splitlines()]
    return [key(rows[i]) for i in examples["rows"]]


def masked_lm_guesses(out: Path) -> list[str]:
    """The saved model's five most likely tokens at the mask of the card's prompt."""
    import torch
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    prompt = json.loads((out / "usage_examples.json").read_text())["inputs"][0]
    tokenizer, model = AutoTokenizer.from_pretrained(out), AutoModelForMaskedLM.from_pretrained(out).eval()
    encoded = tokenizer(prompt, return_tensors="pt")
    position = (encoded["input_ids"][0] == tokenizer.mask_token_id).nonzero()[0, 0]
    with torch.no_grad():
        logits = model(**encoded).logits[0, position]
    return [tokenizer.decode([i]) for i in logits.softmax(-1).topk(5).indices.tolist()]


def greedy_continuation(out: Path) -> str:
    """The saved model's greedy continuation of the card's prompt, prompt included."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    examples = json.loads((out / "usage_examples.json").read_text())
    tokenizer, model = AutoTokenizer.from_pretrained(out), AutoModelForCausalLM.from_pretrained(out).eval()
    encoded = tokenizer(examples["inputs"][0], return_tensors="pt")
    with torch.no_grad():
        generated = model.generate(**encoded, max_new_tokens=examples["max_new_tokens"], do_sample=False,
                                   pad_token_id=tokenizer.eos_token_id)
    return tokenizer.decode(generated[0], skip_special_tokens=True)


def run_family(family: str, tmp: Path, tiny_bert: Path) -> tuple[Path, str]:
    """Train the family's tiny model; returns its folder and what its snippet must print."""
    if family == "single-text":
        out = train("sst2", write_sst2(tmp / "data", n_train=96, n_dev=24), tmp / "out", tiny_bert)
        return out, repr(hubkit_predictions(out, lambda row: row["prediction_labels"]))
    if family in ("pair-cross-encoder", "pair-bi-encoder"):
        mode = family.removeprefix("pair-")
        out = train("mrpc", write_mrpc(tmp / "data", n_train=96, n_dev=24), tmp / "out", tiny_bert, pair_mode=mode)
        return out, repr(hubkit_predictions(out, lambda row: row["prediction_labels"]))
    if family == "tagging":
        out = train("conll2003", write_conll(tmp / "data", n_train=64, n_eval=12), tmp / "out", tiny_bert)
        return out, repr(hubkit_predictions(out, lambda row: row["predictions"]))
    if family == "question-answering":
        out = train("squad", write_squad(tmp / "data", n_train=64, n_eval=12, seed=1, filler=2)[0], tmp / "out", tiny_bert, max_length=64, doc_stride=24,
                    max_answer_length=8)
        return out, hubkit_predictions(out, lambda row: row["predictions"]["prediction_text"])[0]
    if family == "masked-lm":
        out = train("wikitext2", write_wikitext(tmp / "data"), tmp / "out", tiny_bert, block_size=32, epochs=1)
        return out, repr(masked_lm_guesses(out))
    assert family == "causal-lm"
    model = tiny_gpt2(tmp / "gpt2")
    out = train("wikitext2", write_wikitext(tmp / "data"), tmp / "out", model, block_size=32, epochs=1)
    return out, greedy_continuation(out)


def usage_code(readme: str) -> str:
    """The python code blocks of the card's usage section, exactly as written there."""
    section = USAGE.search(readme)
    assert section, "the card has no usage section"
    blocks = CODE.findall(section.group(1))
    assert blocks, "the usage section has no python code"
    return "\n".join(blocks)


FAMILIES = ["single-text", "pair-cross-encoder", "pair-bi-encoder", "tagging", "question-answering", "masked-lm",
            "causal-lm"]


@pytest.mark.usefixtures("one_thread")
@pytest.mark.parametrize("family", FAMILIES)
def test_the_cards_usage_snippet_runs_verbatim_and_prints_the_models_predictions(family, tmp_path, tiny_bert, hub):
    from huggingface_hub import hf_hub_download

    from hubkit.train.publish import push_output

    out, expected = run_family(family, tmp_path, tiny_bert)
    repo_id = f"{hub.user}/snippet-{family}-{uuid.uuid4().hex[:6]}"
    push_output(out, repo_id)
    readme = Path(hf_hub_download(repo_id, "README.md")).read_text(encoding="utf-8")
    code = usage_code(readme)
    assert f'"{repo_id}"' in code
    script = tmp_path / "snippet.py"
    script.write_text(code, encoding="utf-8")
    env = {**os.environ, "HF_HOME": str(tmp_path / "fresh_hf_home")}  # nothing cached: all from the hub
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    printed = result.stdout.rstrip("\n").splitlines()[-1]
    assert printed == expected, f"snippet printed {printed!r}, the model predicts {expected!r}\n{code}"
    if family not in ("masked-lm", "causal-lm"):  # the card quotes what the snippet prints
        quoted = expected if family == "question-answering" else repr(ast.literal_eval(expected))
        assert f"It prints `{quoted}`" in readme
    if family == "pair-bi-encoder":
        assert "library_name: sentence-transformers" in readme
        check_hubkit_eval_loads_the_bi_encoder(repo_id, tmp_path / "data", out, expected)
    else:
        assert "library_name: transformers" in readme


def check_hubkit_eval_loads_the_bi_encoder(repo_id: str, data: Path, out: Path, expected: str) -> None:
    """``hubkit eval`` reads the sentence-transformers layout back from the hub: same labels."""
    from hubkit.evaluation.runner import EvalRequest, run

    results, table = run(EvalRequest(model=repo_id, dataset="mrpc", data_dir=str(data), split="validation",
                                     n_resamples=10, write_card=False))
    labels = results["task"]["labels"]
    rows = json.loads((out / "usage_examples.json").read_text())["rows"]
    predicted = table.column("predictions").to_pylist()
    assert repr([labels[predicted[i]] for i in rows]) == expected
    assert results["model"]["id"] == repo_id and results["model"]["revision"]
