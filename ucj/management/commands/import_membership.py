from ucj.coverage.importers import MEMBERSHIP
from ucj.management.commands.import_workforce import FactsImportCommand


class Command(FactsImportCommand):
    kind = MEMBERSHIP
    help = (
        "Import BPJS Ketenagakerjaan membership counts (region code, date, active participants, optional PU, BPU, "
        "Jakon and PMI segments, source) from a CSV or XLSX file. If any row has a problem nothing is saved and "
        "every problem is printed."
    )
