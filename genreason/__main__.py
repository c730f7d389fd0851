"""``python -m genreason``: the same as the ``genreason`` command."""

from genreason.cli import main

raise SystemExit(main())
