"""Progress pages (issue 7): where a region stands against its target and what moves it, from the
country down to the village. The top floor: it reads the coverage snapshots and the selectors and
models of enrollment and outreach (`selectors.py`); nothing below imports it."""
