"""Lychee rerank workbench: the library behind the Streamlit pages, the CLI and notebooks.

    from workbench import get_reranker
    rr = get_reranker("bm25")                      # or a Lychee-rerank-mm checkpoint folder
    rr.rank("red running shoes", ["red mesh running shoes", "blue wool hat"]).to_pandas()

No Streamlit import lives in this package; the pages, the CLI and `workbench serve`
are doors onto the same calls. Heavy dependencies load only when a backend needs them.
"""

from .model import Document, Query, Result
from .rerank.base import RankedResults, RankedResultsMany, Reranker
from .rerank.registry import get_reranker

__version__ = "0.2.0"

__all__ = ["Document", "Query", "RankedResults", "RankedResultsMany", "Reranker", "Result", "get_reranker", "__version__"]
