"""Deterministic generator of realistic landing drops and the ground truth behind them.

`generate.generate` is the entry point (`capscore generate`). The model, in
the order it is built:

- `enterprises`: registry firms (names from `names`, places from `regions`,
  industries from `industries`), renames, new firms, and each firm's hidden
  `capability` (formula and channels in `capability`) with the timeline it
  drives (`events`: deregistration, growth, capital and staff over time).
- `owners`: everyone who files patents, registry firms or not.
- `patents`: filings, publication, examination, lapse, citations, applicants
  (noisy names from `noise`).
- `rd`: annual R&D filings, refilings, messy identifiers.
- `certification`: HNTE certificates and SRDI levels, granted at each yearly
  batch on the firm's R&D filings and patents as they stood then.
- `plan`: which drop and file each record lands in; `writers` writes every
  format; `dirty` injects bad rows and files for `--dirty`.

`calendar` fixes the dates (the two-week window and, with `history_years`,
monthly drops and quarterly registry snapshots before it); `codes` makes
identifiers with valid check characters.
"""
