"""validation stage: is the scoring model fit to lend on? Discrimination out of time,
grade monotonicity, stability and, on generated data, agreement with the truth."""
