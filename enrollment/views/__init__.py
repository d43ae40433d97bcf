"""Views of the enrollment app: collective enrollment (collective.py) and employer compliance
(employers.py)."""

from .collective import *  # noqa: F403
from .employers import *  # noqa: F403
