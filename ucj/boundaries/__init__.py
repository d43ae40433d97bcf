"""Region boundaries for the progress pages' map: the shipped province shapes, imports of finer
levels from official files, and the reads the map is drawn from. Run from management commands
(`load_regions`, `seed_demo`, `import_boundaries`), never in a request."""
