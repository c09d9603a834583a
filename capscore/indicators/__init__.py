"""indicators stage of capscore: what is known about patents and enterprises as of day D.

- patent_facts: visible patents, status flags, owners, citation edges
- patent_quality: OECD patent quality per patent (scoring/patent_quality)
- fiscal, life_stage, enterprise: enterprise indicators (wide) and profile
- inputs: the columns read from core/* and er/*; exact: order-independent sums
- benchmark: synthetic inputs at any scale and a timer for the scoring chain
"""
