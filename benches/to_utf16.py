#!/usr/bin/env python3
"""to_utf16.py IN OUT [MAX_BYTES]: a capture as Windows PowerShell 5 writes
`netstat > out.txt`: UTF-16LE with a BOM and CRLF line ends, whole lines,
at most MAX_BYTES (default 500 MB) of the input. Streams; any input size."""
import sys

src, dst = sys.argv[1], sys.argv[2]
limit = int(sys.argv[3]) if len(sys.argv) > 3 else 500_000_000
n = 0
with open(src, "rb") as f, open(dst, "wb") as out:
    out.write(b"\xff\xfe")
    while n < limit:
        block = f.read(8 << 20)
        if not block:
            break
        block += f.readline()
        n += len(block)
        out.write(block.decode("utf-8").replace("\n", "\r\n").encode("utf-16-le"))
