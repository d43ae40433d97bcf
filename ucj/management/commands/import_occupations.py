from ucj.coverage.importers import OCCUPATIONS
from ucj.management.commands.import_workforce import FactsImportCommand


class Command(FactsImportCommand):
    kind = OCCUPATIONS
    help = (
        "Import coverage by occupation (region code, date, occupation group such as petani, peternak or nelayan, "
        "workers, BPJS participants among them, source) from a CSV or XLSX file. If any row has a problem nothing "
        "is saved and every problem is printed."
    )
