"""Retrieval for the assistant: semantic (multilingual e5) and lexical (BM25) similarity to the content,
fused with DIET and the ResponseSelector into one topic ranking and one top-level intent.

Plain Python and numpy except ``component.py``, the Rasa graph component, which alone imports rasa:
``text``, ``index``, ``embedder`` and ``fusion`` are imported by the services too (baseline, tuning,
tests) as ``bot.retrieval.*``; inside the Rasa engine the package is ``retrieval`` (bot/ is on its
path). See docs/bot.md, "How an answer is chosen".
"""
