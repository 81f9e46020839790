"""A workbook saved by openpyxl with fixed times inside, so that a script that writes one gives the
same bytes each run (openpyxl stamps the time it wrote the file into docProps/core.xml, and zip
entries carry their modification times). Used by make-sample-xlsx.py and make-xlsx-cases.py."""
import re
import zipfile


def save(wb, path):
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"<dcterms:(created|modified)([^>]*)>[^<]*<", rb"<dcterms:\1\2>2026-01-01T00:00:00Z<", data)
            info.date_time = (1980, 1, 1, 0, 0, 0)
            z.writestr(info, data)
