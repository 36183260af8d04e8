"""Tiny checkpoints and fixtures shared by the tests and the benches (not imported by the app).

    tiny.py    `build_tiny_checkpoint`: a random, few-MB Qwen2.5-VL / Qwen3-VL reranker checkpoint
               with a real tokenizer and processor (`workbench tiny DIR` builds one)
"""
