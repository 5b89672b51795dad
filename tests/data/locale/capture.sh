#!/usr/bin/env bash
# Real localized net-tools captures: one socket mix in a private network
# namespace, `netstat` run in every language net-tools ships a catalog for
# (gettext, LANGUAGE=xx), and in English, back to back.
#
#   sudo tests/data/locale/capture.sh        (needs net-tools, python3, unshare)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec unshare -n bash -s "$here" <<'INNER'
set -euo pipefail
out=$1
ip link set lo up
python3 - <<'PY' &
import socket, time
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 8080)); srv.listen(64)
held, accepted = [], []
for i in range(6):                      # 6 ESTABLISHED pairs
    c = socket.create_connection(("127.0.0.1", 8080)); held.append(c); accepted.append(srv.accept()[0])
for i in range(4):                      # 4 CLOSE_WAIT (server side) / FIN_WAIT2 (client side)
    c = socket.create_connection(("127.0.0.1", 8080)); a = srv.accept()[0]
    c.shutdown(socket.SHUT_WR); held.append(c); accepted.append(a)
for i in range(3):                      # 3 TIME_WAIT (client closes first)
    c = socket.create_connection(("127.0.0.1", 8080)); a = srv.accept()[0]
    c.close(); a.recv(1); a.close()
time.sleep(30)
PY
sleep 2
langs=$(ls /usr/share/locale/*/LC_MESSAGES/net-tools.mo | sed 's|/usr/share/locale/||;s|/LC_MESSAGES.*||')
LANGUAGE=en LANG=C.UTF-8 netstat -tan > "$out/netstat-tan.en.txt"
for l in $langs; do
  LANGUAGE=$l LANG=C.UTF-8 netstat -tan > "$out/netstat-tan.$l.txt"
  LANGUAGE=$l LANG=C.UTF-8 netstat -tane > "$out/netstat-tane.$l.txt"
done
LANGUAGE=en LANG=C.UTF-8 netstat -tane > "$out/netstat-tane.en.txt"
{ netstat --version | head -1; echo "languages: $langs"; } > "$out/VERSIONS"
kill %1 2>/dev/null || true
INNER
