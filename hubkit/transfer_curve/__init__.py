"""``hubkit transfer-curve``: learning curves that show what transfer learning buys on a dataset.

Fine-tunes the pre-trained model and the same architecture from random initialisation (and,
optionally, the model after domain-adaptive pre-training) on growing, stratified training subsets,
several seeds each, and plots the validation metric against the number of training examples.

Modules: :mod:`~hubkit.transfer_curve.subsets` (which rows, how often), :mod:`~hubkit.transfer_curve.variants`
(which starting weights), :mod:`~hubkit.transfer_curve.curve` (the runs),
:mod:`~hubkit.transfer_curve.record` (``curve.json``), :mod:`~hubkit.transfer_curve.plot` and
:mod:`~hubkit.transfer_curve.report` (the picture, the CSV and the card section).
"""
