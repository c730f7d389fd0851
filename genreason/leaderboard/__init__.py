"""Leaderboard submissions that cannot be faked.

- :mod:`.manifest`: what a submission bundle holds (``manifest.json``, versioned);
- :mod:`.submit`: ``genreason submit``, a run folder packed into a deterministic zip;
- :mod:`.safezip`: reading a zip that may be hostile (traversal, symlinks, bombs);
- :mod:`.validate`: ``genreason leaderboard validate``, every claim of a bundle re-checked;
- :mod:`.site`: ``genreason leaderboard build``, a static leaderboard from validated bundles.

The trust model: a maintainer trusts the installed genreason (suites, families,
verifiers), never the submitter. A bundle's puzzles are regenerated from their
seeds, its videos are re-judged, and its scores recomputed from the new verdicts.
"""
