"""scoring stage: indicator, dimension and composite scores from indicator values."""
