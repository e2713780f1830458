"""Read what evaluation, curation and training wrote: length and keyword statistics.

Nothing here imports from ``longcot.evaluate`` or ``longcot.train``: analysis
reads their files, so data flows one way (DESIGN §1). The keyword statistics
themselves live in :mod:`longcot.reflection`, below every producer, because
evaluation summaries and training metrics compute them too.
"""

from longcot.reflection import (
    FEATURES,
    KEYWORDS,
    keyword_counts,
    reflection_from_jsonl,
    reflection_stats,
)

__all__ = ["FEATURES", "KEYWORDS", "keyword_counts", "reflection_from_jsonl", "reflection_stats"]
