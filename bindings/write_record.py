"""Writes the RECORD file of an installed dist-info (run by `cmake --install`).

usage: write_record.py SITE_DIR DIST_INFO_NAME PACKAGE...

Lists every file of the packages and of the dist-info, relative to SITE_DIR, as
``path,sha256=<urlsafe base64 digest without padding>,size`` (the wheel format, PEP 376/627),
and RECORD itself with empty hash and size. Run after the files are in place (and stripped).
"""

import base64
import hashlib
import sys
from pathlib import Path


def record_line(site: Path, path: Path) -> str:
    data = path.read_bytes()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path.relative_to(site).as_posix()},sha256={digest},{len(data)}"


def main(argv):
    site, dist_info, packages = Path(argv[1]), argv[2], argv[3:]
    record = site / dist_info / "RECORD"
    files = []
    for top in [*packages, dist_info]:
        files += [p for p in sorted((site / top).rglob("*"))
                  if p.is_file() and p != record and "__pycache__" not in p.parts]
    lines = [record_line(site, p) for p in files]
    lines.append(f"{dist_info}/RECORD,,")
    record.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
