"""The card's "How to use" section: a snippet that runs as written and prints what the model predicts.

Issue 14: a usage snippet must run verbatim, in a fresh process, against the hub the model is on,
for every task family, and print the model's own predictions. So each snippet is written for what
the folder holds and how the family predicts:

- text classification (single texts, and pairs with a cross-encoder): transformers' pipeline, with
  the truncation hubkit trained and scored with;
- pairs with a bi-encoder: sentence-transformers encodes both texts, and the linear head over
  ``(u, v, |u - v|)``, saved in its own files, turns them into labels (plain transformers cannot
  load such a model, so its card says ``library_name: sentence-transformers``);
- token classification: one tag per word from its first sub-token, which is how hubkit scores
  (the pipeline tags sub-tokens and merges entities instead);
- question answering: hubkit's own span search, written out (transformers 5 has no
  question-answering pipeline): windows of hubkit's size and stride, the best start + end logit
  among the n best of each, the span's characters sliced from the context;
- language models: the fill-mask and text-generation (greedy) pipelines.

The inputs are real examples of the evaluated split, written by training to ``usage_examples.json``
with hubkit's predictions for them; the section quotes what the snippet prints.
"""

from __future__ import annotations

import json
from typing import Any

from hubkit.cards.context import CardContext

PLACEHOLDER_REPO = "PATH/TO/THIS/MODEL"
BI_ENCODER_HEAD = "pair_classifier.json"  # written by hubkit.train.bi_encoder beside the model


def is_bi_encoder(ctx: CardContext) -> bool:
    """The folder holds a sentence-transformers bi-encoder with its classification head."""
    return ctx.kind == "training" and (ctx.folder / BI_ENCODER_HEAD).is_file()


def library_name(ctx: CardContext) -> str:
    return "sentence-transformers" if is_bi_encoder(ctx) else "transformers"


def usage_section(ctx: CardContext) -> str:
    if ctx.kind != "training":
        return ""
    examples = ctx.usage_examples or {}
    repo = ctx.repo_id or PLACEHOLDER_REPO
    family = ctx.task["family"]
    if family == "text-classification":
        code, says = _bi_encoder(repo, examples) if is_bi_encoder(ctx) else _classification(repo, examples)
    elif family == "token-classification":
        code, says = _tagging(repo, examples)
    elif family == "question-answering":
        code, says = _question_answering(repo, examples)
    elif family == "language-modeling":
        code, says = _language_model(repo, examples, ctx.task.get("objective") or examples.get("objective"))
    else:
        return ""
    lines = ["## How to use", "", "```python", code.strip(), "```"]
    if says:
        lines += ["", says]
    return "\n".join(lines)


def literal(value: Any) -> str:
    """A Python literal of strings and lists of strings (JSON's syntax for them is Python's too)."""
    return json.dumps(value, ensure_ascii=False)


def _rows(values: list[Any]) -> str:
    return "[\n" + "".join(f"    {literal(value)},\n" for value in values) + "]"


def _printed(examples: dict[str, Any], what: str) -> str:
    outputs = examples.get("outputs")
    if outputs is None:
        return ""
    shown = outputs[0] if len(outputs) == 1 and not isinstance(outputs[0], list) else outputs
    text = shown if isinstance(shown, str) else repr(shown)
    which = "this example" if len(outputs) == 1 else "these examples"
    return f"It prints `{text}`: the {what} hubkit predicted for {which} of the {examples.get('split')} split."


def _classification(repo: str, examples: dict[str, Any]) -> tuple[str, str]:
    inputs = examples.get("inputs") or ["A text to classify."]
    max_length = examples.get("max_length", 128)
    pairs = isinstance(inputs[0], dict)
    name = "pairs" if pairs else "texts"
    code = "\n".join([
        "from transformers import pipeline", "",
        f'classifier = pipeline("text-classification", model="{repo}")',
        f"{name} = {_rows(inputs)}",
        f"print([result[\"label\"] for result in classifier({name}, truncation=True, max_length={max_length})])"])
    return code, _printed(examples, "labels")


def _bi_encoder(repo: str, examples: dict[str, Any]) -> tuple[str, str]:
    inputs = examples.get("inputs") or [{"text": "A first text.", "text_pair": "A second text."}]
    pairs = [[row["text"], row["text_pair"]] for row in inputs]
    code = "\n".join([
        "import json", "",
        "import torch",
        "from huggingface_hub import hf_hub_download",
        "from safetensors.torch import load_file",
        "from sentence_transformers import SentenceTransformer", "",
        f'repo = "{repo}"',
        "encoder = SentenceTransformer(repo)",
        "# The classification head over (u, v, |u - v|) and its labels, in files of their own.",
        'head = load_file(hf_hub_download(repo, "pair_classifier.safetensors"), device=str(encoder.device))',
        'with open(hf_hub_download(repo, "pair_classifier.json")) as f:',
        '    labels = json.load(f)["labels"]', "",
        f"pairs = {_rows(pairs)}",
        "u = encoder.encode([a for a, _ in pairs], convert_to_tensor=True)",
        "v = encoder.encode([b for _, b in pairs], convert_to_tensor=True)",
        'logits = torch.cat([u, v, (u - v).abs()], dim=-1) @ head["weight"].T + head["bias"]',
        "print([labels[i] for i in logits.argmax(-1).tolist()])"])
    return code, _printed(examples, "labels")


def _tagging(repo: str, examples: dict[str, Any]) -> tuple[str, str]:
    inputs = examples.get("inputs") or [["A", "sentence", "to", "tag", "."]]
    max_length = examples.get("max_length", 128)
    code = "\n".join([
        "import torch",
        "from transformers import AutoModelForTokenClassification, AutoTokenizer", "",
        f'tokenizer = AutoTokenizer.from_pretrained("{repo}")',
        f'model = AutoModelForTokenClassification.from_pretrained("{repo}")',
        f"sentences = {_rows(inputs)}",
        "tagged = []",
        "for words in sentences:",
        f"    encoded = tokenizer(words, is_split_into_words=True, truncation=True, max_length={max_length}, "
        "return_tensors=\"pt\")",
        "    with torch.no_grad():",
        "        predicted = model(**encoded).logits[0].argmax(-1).tolist()",
        "    # One tag per word: the one predicted on its first sub-token.",
        "    first = {}",
        "    for token, word in enumerate(encoded.word_ids()):",
        "        if word is not None and word not in first:",
        "            first[word] = model.config.id2label[predicted[token]]",
        "    tagged.append([first.get(i, \"O\") for i in range(len(words))])",
        "print(tagged)"])
    return code, _printed(examples, "tags")


def _question_answering(repo: str, examples: dict[str, Any]) -> tuple[str, str]:
    inputs = examples.get("inputs") or [{"question": "Who wrote the letter?",
                                         "context": "The letter was written by Ada in 1843."}]
    example = inputs[0]
    n_best, longest = examples.get("n_best", 20), examples.get("max_answer_length", 30)
    code = "\n".join([
        "import torch",
        "from transformers import AutoModelForQuestionAnswering, AutoTokenizer", "",
        f'tokenizer = AutoTokenizer.from_pretrained("{repo}")',
        f'model = AutoModelForQuestionAnswering.from_pretrained("{repo}")',
        f"question = {literal(example['question'])}",
        f"context = {literal(example['context'])}", "",
        "# The context is read in overlapping windows; the answer is the context span with the highest",
        f"# start + end logit among the {n_best} best starts and ends of each window, at most {longest} tokens long.",
        f'windows = tokenizer(question, context, truncation="only_second", max_length={examples.get("max_length", 384)}, '
        f"stride={examples.get('doc_stride', 128)},",
        '                    return_overflowing_tokens=True, return_offsets_mapping=True, padding=True, '
        'return_tensors="pt")',
        'offsets = windows.pop("offset_mapping").tolist()',
        'windows.pop("overflow_to_sample_mapping")',
        "with torch.no_grad():",
        "    output = model(**windows)",
        'best, answer = float("-inf"), ""',
        "for w in range(len(offsets)):",
        "    in_context = {i for i, part in enumerate(windows.sequence_ids(w)) if part == 1}",
        f"    starts = output.start_logits[w].argsort(descending=True, stable=True)[:{n_best}].tolist()",
        f"    ends = output.end_logits[w].argsort(descending=True, stable=True)[:{n_best}].tolist()",
        "    for s in starts:",
        "        for e in ends:",
        f"            if s in in_context and e in in_context and s <= e < s + {longest}:",
        "                score = float(output.start_logits[w][s] + output.end_logits[w][e])",
        "                if score > best:",
        "                    best, answer = score, context[offsets[w][s][0]:offsets[w][e][1]]",
        "print(answer)"])
    return code, _printed(examples, "answer")


def _language_model(repo: str, examples: dict[str, Any], objective: str | None) -> tuple[str, str]:
    inputs = examples.get("inputs")
    if objective == "clm":
        prompt = inputs[0] if inputs else "Once upon a time"
        tokens = examples.get("max_new_tokens", 12)
        code = "\n".join([
            "from transformers import pipeline", "",
            f'generator = pipeline("text-generation", model="{repo}")',
            f"print(generator({literal(prompt)}, max_new_tokens={tokens}, do_sample=False)[0][\"generated_text\"])"])
        return code, f"It prints the prompt and its greedy continuation of {tokens} tokens."
    prompt = inputs[0] if inputs else "The capital of France is [MASK]."
    code = "\n".join([
        "from transformers import pipeline", "",
        f'fill = pipeline("fill-mask", model="{repo}")',
        f"print([candidate[\"token_str\"] for candidate in fill({literal(prompt)}, top_k={examples.get('top_k', 5)})])"])
    return code, "It prints the model's most likely tokens for the masked word, best first."
