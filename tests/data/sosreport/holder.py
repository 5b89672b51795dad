#!/usr/bin/env python3
"""holder.py - open real TCP/UDP sockets and hold them until killed.

Usage:  holder.py NAME READYFILE ACTION [ACTION...]

Used by tests/data/sosreport/capture.sh and tests/data/oswatcher/capture.sh.
The process renames itself (prctl PR_SET_NAME) to NAME, so `ss -p` shows
users:(("NAME",pid=..,fd=..)) and `netstat -p` shows PID/NAME.  Actions run in
order; when all are done READYFILE is written and the process sleeps until it
gets SIGTERM.  An action is one argument, words separated by ",":

  listen,FAM,HOST,PORT,BACKLOG,MODE  TCP listener (FAM 4 or 6; 6 = dual stack).
                                     MODE close: read each accepted connection
                                     until EOF, then close it (so a peer that
                                     closes first ends in TIME-WAIT);
                                     MODE hold: accept, never read, never close
                                     (a peer that closes leaves CLOSE-WAIT here).
  udp,FAM,HOST,PORT                  bound UDP socket (UNCONN).
  hold,HOST,PORT,N                   N connections kept ESTABLISHED.
  halfclose,HOST,PORT,N              N connections, shutdown(SHUT_WR), kept
                                     (FIN-WAIT-2 here, CLOSE-WAIT at a `hold` server).
  closefirst,HOST,PORT,N             N connections closed by us first (TIME-WAIT
                                     here when the server closes on EOF).
  synsent,HOST,PORT,N                N non-blocking connects left pending
                                     (SYN-SENT while the peer drops SYNs).
  refused,HOST,PORT,N                N connects to a closed port; each must fail
                                     with ECONNREFUSED (the peer answers with RST).
  sleep,SECONDS                      pause.
"""
import ctypes
import errno
import os
import signal
import socket
import sys
import threading
import time

NAME, READY, ACTIONS = sys.argv[1], sys.argv[2], sys.argv[3:]
held = []


def set_comm(name):
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except OSError:
        pass


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def drain_then_close(c):
    try:
        while c.recv(65536):
            pass
    except OSError:
        pass
    c.close()


def serve(ls, mode):
    while True:
        c, _ = ls.accept()
        if mode == "close":
            threading.Thread(target=drain_then_close, args=(c,), daemon=True).start()
        else:
            held.append(c)


def connect(host, port):
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.connect((host, int(port)))
    return s


def run(action):
    w = action.split(",")
    op = w[0]
    if op == "listen":
        fam, host, port, backlog, mode = w[1:6]
        ls = socket.socket(socket.AF_INET6 if fam == "6" else socket.AF_INET)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == "6":
            ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        ls.bind((host, int(port)))
        ls.listen(int(backlog))
        held.append(ls)
        threading.Thread(target=serve, args=(ls, mode), daemon=True).start()
    elif op == "udp":
        fam, host, port = w[1:4]
        s = socket.socket(socket.AF_INET6 if fam == "6" else socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((host, int(port)))
        held.append(s)
    elif op == "hold":
        for _ in range(int(w[3])):
            held.append(connect(w[1], w[2]))
    elif op == "halfclose":
        for _ in range(int(w[3])):
            s = connect(w[1], w[2])
            s.shutdown(socket.SHUT_WR)
            held.append(s)
    elif op == "closefirst":
        for _ in range(int(w[3])):
            s = connect(w[1], w[2])
            s.close()
    elif op == "synsent":
        for _ in range(int(w[3])):
            s = socket.socket(family(w[1]), socket.SOCK_STREAM)
            s.setblocking(False)
            rc = s.connect_ex((w[1], int(w[2])))
            if rc not in (errno.EINPROGRESS, 0):
                raise OSError(rc, os.strerror(rc))
            held.append(s)
    elif op == "refused":
        for _ in range(int(w[3])):
            s = socket.socket(family(w[1]), socket.SOCK_STREAM)
            rc = s.connect_ex((w[1], int(w[2])))
            s.close()
            if rc != errno.ECONNREFUSED:
                raise OSError(rc, f"expected ECONNREFUSED, got {os.strerror(rc)}")
    elif op == "sleep":
        time.sleep(float(w[1]))
    else:
        raise SystemExit(f"holder.py: unknown action {action}")


def main():
    set_comm(NAME)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    for a in ACTIONS:
        run(a)
    time.sleep(0.5)  # let the accept threads and the closing handshakes finish
    with open(READY, "w") as f:
        f.write(f"{os.getpid()}\n")
    while True:
        signal.pause()


main()
