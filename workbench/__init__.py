"""Lychee rerank workbench: the library behind the Streamlit pages and the CLI.

No Streamlit import lives in this package; pages/ and workbench.cli are two doors
onto the same calls.
"""

__version__ = "0.1.0"
