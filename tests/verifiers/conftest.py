"""Make the helper module beside these tests (``maze_cases``) importable.

pytest runs with ``--import-mode=importlib``, which does not put a test's folder
on ``sys.path``, and ``tests/`` is on it already for ``doubles``; a helper named
``verifiers.*`` there would shadow the real ``verifiers`` package.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
