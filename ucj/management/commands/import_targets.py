from ucj.coverage.importers import TARGETS
from ucj.management.commands.import_workforce import FactsImportCommand


class Command(FactsImportCommand):
    kind = TARGETS
    help = (
        "Import UCJ targets (region code, year, target percent, source, date) from a CSV or XLSX file. "
        "If any row has a problem nothing is saved and every problem is printed."
    )
