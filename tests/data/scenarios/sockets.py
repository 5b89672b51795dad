#!/usr/bin/env python3
"""sockets.py - socket-holding helper used by tests/data/scenarios/capture.sh.

Copied from samples/sockets.py and extended with: listen policies `closefirst`
(answer, then close first -> TIME-WAIT on the server) and `push` (write to the
peer as long as it takes data, up to 64 MiB), and the commands `churn`, `fill`,
`tryconnect`, `send`, `close` (see below).

One instance plays one "program" (nginx, wrk, postgres, ...) inside one
network namespace.  capture.sh starts it as
    exec -a NAME python3 sockets.py   (stdin/stdout connected to FIFOs)
and then sends one command per line on stdin; each command is answered by
exactly one line on stdout: "ok ..." or "err ...".  Pipes/FIFOs are used for
control on purpose: they are not sockets, so they never show up in the tables.

The process renames itself (prctl PR_SET_NAME) to the basename of argv[0], so
`ss -p` (comm) and `netstat -p` (argv[0]) both show NAME.

Commands (FAM is 4 or 6; options are key=value):
  listen LABEL FAM ADDR PORT BACKLOG POLICY [v6only=0|1]
        POLICY: http     accept, answer every request, close on peer EOF
                leak     accept, answer every request, never close (-> CLOSE-WAIT)
                (all: a request containing /big is answered with as much data as
                the socket takes; /big-close also shutdown(SHUT_WR) -> FIN-WAIT-1
                when the peer never reads)
                noaccept never call accept() (accept queue fills up)
  connect LABEL N FAM DST PORT [src=ADDR] [mode=hold|noread|short|nowait]
          [send=TEXT] [resp=0|1] [keepalive=IDLE]
        hold   connect, send TEXT, wait for an answer if resp=1, keep open
        noread connect, send TEXT, never read (stalled download)
        short  connect, send, read answer, shutdown(WR), wait for peer FIN,
               close  (-> TIME-WAIT on this side)
        nowait non-blocking connect, do not wait (-> SYN-SENT if dropped)
  shutwr LABEL N          shutdown(SHUT_WR) N more held sockets of LABEL and wait
                          until each is in FIN-WAIT-2 (peer is then CLOSE-WAIT)
  close-eof LABEL N       server side: close() N accepted sockets of listener LABEL
                          whose peer has half-closed (CLOSE-WAIT -> LAST-ACK)
  udp LABEL FAM ADDR PORT POLICY [v6only=0|1]   bound UDP socket; POLICY echo|sink
  udpc LABEL FAM DST PORT [src=ADDR] [send=N] [reply=0|1]   connected UDP socket
  unix-listen LABEL PATH  (PATH starting with @ = abstract namespace)
  unix-connect LABEL PATH N
  unix-dgram LABEL PATH
  unix-pair LABEL
  states LABEL            report the TCP states of LABEL's client sockets
  churn LABEL N FAM DST PORT [src=ADDR] [who=client|server]
        N sequential blocking connections; who=client: connect, close at once
        (client closes first -> TIME-WAIT here); who=server: connect, read
        until the server closes, then close (-> TIME-WAIT on the server).
        Errors are logged to stderr and counted; churn continues.
  fill LABEL FAM DST PORT [max=N]   hold blocking connections until connect()
                          fails (logged to stderr), return how many were made
  tryconnect FAM DST PORT one connect(); log and return the result
  send LABEL BYTES        non-blocking send of BYTES bytes on every held socket
  close LABEL N           close() N held client sockets of LABEL
  quit
"""
import ctypes
import errno
import os
import selectors
import socket
import sys
import time

TCP_STATES = {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1",
              5: "FIN_WAIT2", 6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT",
              9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING"}
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)

RESP = (b"HTTP/1.1 200 OK\r\nServer: sockscope-sample\r\nContent-Type: text/plain\r\n"
        b"Content-Length: 3\r\nConnection: keep-alive\r\n\r\nok\n")
BIG_CHUNK = b"x" * 65536
BIG_LIMIT = 16 * 1024 * 1024
PUSH_LIMIT = 64 * 1024 * 1024

sel = selectors.DefaultSelector()
listeners = {}   # label -> {"sock", "policy", "accepted": [...]}
groups = {}      # label -> [client record]
udps = {}        # label -> [socket]
unixes = {}      # label -> [socket]
keep = []        # anything else that must stay referenced


def log(*a):
    print(f"[{os.path.basename(ARGV0)}]", *a, file=sys.stderr, flush=True)


def argv0():
    try:
        with open("/proc/self/cmdline", "rb") as f:
            return f.read().split(b"\0")[0].decode() or "python3"
    except OSError:
        return "python3"


ARGV0 = argv0()


def set_comm(name):
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except Exception as e:  # not essential
        log("prctl failed", e)


def fam(f):
    return socket.AF_INET6 if str(f) == "6" else socket.AF_INET


def tcp_state(s):
    try:
        return TCP_STATES.get(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0], "?")
    except OSError:
        return "CLOSED"


def unix_addr(path):
    return "\0" + path[1:] if path.startswith("@") else path


# ---------------------------------------------------------------- event loop
def dispatch(timeout):
    for key, _mask in sel.select(timeout):
        if key.data is None:      # stdin: handled only by the main loop
            continue
        key.data(key.fileobj)


def wait_until(cond, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timeout waiting for {what}")
        dispatch(0.005)


def unregister(s):
    try:
        sel.unregister(s)
    except (KeyError, ValueError):
        pass


# ---------------------------------------------------------------- servers
def send_big(c):
    c.setblocking(False)
    sent = 0
    try:
        while sent < BIG_LIMIT:
            sent += c.send(BIG_CHUNK)
    except (BlockingIOError, InterruptedError):
        pass


def on_server_conn(rec):
    policy = rec["policy"]

    def handler(c):
        try:
            data = c.recv(65536)
        except ConnectionError:
            data = b""
        if data:
            if b"/big-close" in data:
                send_big(c)      # peer never reads: the FIN stays queued
                c.shutdown(socket.SHUT_WR)          # -> FIN-WAIT-1
            elif b"/big" in data:
                send_big(c)
            else:
                try:
                    c.send(RESP)
                except OSError:
                    pass
            return
        # peer EOF
        unregister(c)
        if policy == "http":
            c.close()
        else:            # "leak": keep the fd -> CLOSE-WAIT
            rec["eof"].append(c)
    return handler


def on_accept(rec):
    def handler(ls):
        try:
            c, _ = ls.accept()
        except BlockingIOError:
            return
        c.setblocking(False)
        if rec["policy"] == "closefirst":
            try:
                c.send(RESP)
            except OSError:
                pass
            c.close()
            return
        rec["accepted"].append(c)
        if rec["policy"] == "push":
            st = {"sent": 0}

            def writer(sock):
                try:
                    while st["sent"] < PUSH_LIMIT:
                        st["sent"] += sock.send(BIG_CHUNK)
                except (BlockingIOError, InterruptedError):
                    return
                except OSError:
                    pass
                unregister(sock)
            sel.register(c, selectors.EVENT_WRITE, writer)
            return
        sel.register(c, selectors.EVENT_READ, on_server_conn(rec))
    return handler


def cmd_listen(label, f, addr, port, backlog, policy, v6only="1"):
    s = socket.socket(fam(f), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam(f) == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
    s.bind((addr, int(port)))
    s.listen(int(backlog))
    s.setblocking(False)
    rec = {"sock": s, "policy": policy, "accepted": [], "eof": []}
    listeners[label] = rec
    if policy != "noaccept":
        sel.register(s, selectors.EVENT_READ, on_accept(rec))
    return f"listening {addr} {port}"


# ---------------------------------------------------------------- clients
def on_client_read(rec):
    def handler(s):
        try:
            data = s.recv(65536)
        except ConnectionError:
            data = b""
        if data:
            rec["got"] += len(data)
        else:
            rec["eof"] = True
            unregister(s)
    return handler


def new_client(f, dst, port, src=None, keepalive=None):
    s = socket.socket(fam(f), socket.SOCK_STREAM)
    if keepalive:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, int(keepalive))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 30)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5)
    if src:
        s.setsockopt(socket.SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        s.bind((src, 0))
    s.setblocking(False)
    rc = s.connect_ex((dst, int(port)))
    if rc not in (0, errno.EINPROGRESS):
        raise OSError(rc, os.strerror(rc))
    return s


def cmd_connect(label, n, f, dst, port, src=None, mode="hold", send="", resp="1",
                keepalive=None):
    n = int(n)
    out = groups.setdefault(label, [])
    payload = send.replace("\\r", "\r").replace("\\n", "\n").replace("_", " ").encode()
    for _ in range(n):
        s = new_client(f, dst, port, src, keepalive)
        rec = {"sock": s, "got": 0, "eof": False, "shut": False, "mode": mode}
        if mode == "nowait":
            st = tcp_state(s)
            if st not in ("SYN_SENT", "ESTABLISHED"):   # veth may complete it at once
                raise RuntimeError(f"nowait socket in {st}, expected SYN_SENT")
            out.append(rec)
            continue
        wait_until(lambda: tcp_state(s) == "ESTABLISHED", what=f"connect {dst}:{port}")
        if payload:
            s.send(payload)
        if mode == "noread":
            out.append(rec)
            continue
        sel.register(s, selectors.EVENT_READ, on_client_read(rec))
        if resp == "1":
            wait_until(lambda: rec["got"] > 0, what=f"answer from {dst}:{port}")
        if mode == "short":
            s.shutdown(socket.SHUT_WR)
            wait_until(lambda: rec["eof"], what=f"FIN from {dst}:{port}")
            unregister(s)
            s.close()       # the kernel now holds a TIME-WAIT socket
            continue
        out.append(rec)
    return f"{label} {len(out)} held"


def cmd_shutwr(label, n):
    todo = [r for r in groups[label] if not r["shut"] and r["mode"] == "hold"][: int(n)]
    if len(todo) < int(n):
        raise RuntimeError(f"only {len(todo)} sockets left in {label}")
    for r in todo:
        r["sock"].shutdown(socket.SHUT_WR)
        r["shut"] = True
    for r in todo:
        wait_until(lambda: tcp_state(r["sock"]) == "FIN_WAIT2", what="FIN-WAIT-2")
    return f"{label} {sum(r['shut'] for r in groups[label])} shut"


def cmd_close_eof(label, n):
    rec = listeners[label]
    wait_until(lambda: len(rec["eof"]) >= int(n), what=f"{n} half-closed peers on {label}")
    for c in rec["eof"][: int(n)]:
        rec["accepted"].remove(c)
        c.close()        # -> LAST-ACK while the peer's ACK of our FIN is missing
    del rec["eof"][: int(n)]
    return f"{label} closed {n}"


def cmd_churn(label, n, f, dst, port, src=None, who="client"):
    ok = failed = 0
    for _ in range(int(n)):
        s = socket.socket(fam(f), socket.SOCK_STREAM)
        try:
            if src:
                s.setsockopt(socket.SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
                s.bind((src, 0))
            s.settimeout(10)
            s.connect((dst, int(port)))
            if who == "server":
                while s.recv(65536):
                    pass
            ok += 1
        except OSError as e:
            failed += 1
            log(f"connect {dst}:{port} failed: {e!r}")
        finally:
            s.close()
    return f"{label} churn ok={ok} failed={failed}"


def cmd_fill(label, f, dst, port, max="100000"):
    out = groups.setdefault(label, [])
    made = 0
    for _ in range(int(max)):
        s = socket.socket(fam(f), socket.SOCK_STREAM)
        try:
            s.connect((dst, int(port)))
        except OSError as e:
            log(f"connect {dst}:{port} failed after {made} new connections: {e!r} ({e.strerror})")
            s.close()
            break
        s.setblocking(False)
        out.append({"sock": s, "got": 0, "eof": False, "shut": False, "mode": "hold"})
        made += 1
    return f"{label} filled {made}"


def cmd_tryconnect(f, dst, port):
    s = socket.socket(fam(f), socket.SOCK_STREAM)
    try:
        s.connect((dst, int(port)))
        r = f"connected from {s.getsockname()}"
    except OSError as e:
        r = f"failed: {e!r} ({e.strerror})"
    finally:
        s.close()
    log(f"connect {dst}:{port} {r}")
    return r


def cmd_send(label, nbytes):
    total = 0
    for r in groups[label]:
        try:
            total += r["sock"].send(b"y" * int(nbytes))
        except (BlockingIOError, InterruptedError):
            pass
    return f"{label} sent {total}"


def cmd_close(label, n):
    todo = [r for r in groups[label] if not r.get("closed")][: int(n)]
    if len(todo) < int(n):
        raise RuntimeError(f"only {len(todo)} open sockets left in {label}")
    for r in todo:
        unregister(r["sock"])
        r["sock"].close()
        r["closed"] = True
    return f"{label} closed {len(todo)}"


def cmd_states(label):
    counts = {}
    for r in groups.get(label, []):
        if r.get("closed"):
            continue
        st = tcp_state(r["sock"])
        counts[st] = counts.get(st, 0) + 1
    return " ".join(f"{k}={v}" for k, v in sorted(counts.items()))


# ---------------------------------------------------------------- udp / unix
def on_udp(policy):
    def handler(s):
        data, peer = s.recvfrom(65536)
        if policy == "echo":
            s.sendto(data, peer)
    return handler


def cmd_udp(label, f, addr, port, policy, v6only="1"):
    s = socket.socket(fam(f), socket.SOCK_DGRAM)
    if fam(f) == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
    s.bind((addr, int(port)))
    s.setblocking(False)
    udps.setdefault(label, []).append(s)
    if policy == "echo":
        sel.register(s, selectors.EVENT_READ, on_udp(policy))
    # "sink": never read, datagrams pile up in Recv-Q
    return f"udp {addr} {port}"


def cmd_udpc(label, f, dst, port, src=None, send="1", reply="0"):
    s = socket.socket(fam(f), socket.SOCK_DGRAM)
    if src:
        s.bind((src, 0))
    s.connect((dst, int(port)))
    s.setblocking(False)
    rec = {"sock": s, "got": 0, "eof": False}
    udps.setdefault(label, []).append(s)
    if reply == "1":
        def handler(sock):
            sock.recv(65536)
            rec["got"] += 1
        sel.register(s, selectors.EVENT_READ, handler)
    for i in range(int(send)):
        s.send(b"<30>sockscope sample datagram %d\n" % i)
    if reply == "1":
        wait_until(lambda: rec["got"] >= int(send), what=f"udp reply from {dst}:{port}")
    return f"udpc {dst} {port}"


def on_unix_conn(c):
    try:
        data = c.recv(4096)
    except ConnectionError:
        data = b""
    if not data:
        unregister(c)


def cmd_unix_listen(label, path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if not path.startswith("@") and os.path.exists(path):
        os.unlink(path)
    s.bind(unix_addr(path))
    s.listen(128)
    s.setblocking(False)
    unixes.setdefault(label, []).append(s)

    def on_acc(ls):
        c, _ = ls.accept()
        c.setblocking(False)
        keep.append(c)
        c.send(b"+OK\n")
        sel.register(c, selectors.EVENT_READ, on_unix_conn)
    sel.register(s, selectors.EVENT_READ, on_acc)
    return f"unix {path}"


def cmd_unix_connect(label, path, n):
    for _ in range(int(n)):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(unix_addr(path))
        s.setblocking(False)
        rec = {"sock": s, "got": 0, "eof": False}
        sel.register(s, selectors.EVENT_READ, on_client_read(rec))
        wait_until(lambda: rec["got"] > 0, what=f"greeting on {path}")
        unixes.setdefault(label, []).append(s)
    return f"unix-connect {path} {n}"


def cmd_unix_dgram(label, path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if not path.startswith("@") and os.path.exists(path):
        os.unlink(path)
    s.bind(unix_addr(path))
    unixes.setdefault(label, []).append(s)
    return f"unix-dgram {path}"


def cmd_unix_pair(label):
    a, b = socket.socketpair()
    unixes.setdefault(label, []).extend([a, b])
    return "unix-pair"


COMMANDS = {
    "listen": cmd_listen, "connect": cmd_connect, "shutwr": cmd_shutwr,
    "states": cmd_states, "close-eof": cmd_close_eof, "udp": cmd_udp, "udpc": cmd_udpc,
    "unix-listen": cmd_unix_listen, "unix-connect": cmd_unix_connect,
    "unix-dgram": cmd_unix_dgram, "unix-pair": cmd_unix_pair,
    "churn": cmd_churn, "fill": cmd_fill, "tryconnect": cmd_tryconnect, "send": cmd_send,
    "close": cmd_close,
}


def run_command(line):
    words = line.split()
    if not words:
        return "ok"
    if words[0] == "quit":
        sys.stdout.write("ok bye\n")
        sys.stdout.flush()
        sys.exit(0)
    fn = COMMANDS.get(words[0])
    if fn is None:
        return f"err unknown command {words[0]}"
    args = [w for w in words[1:] if "=" not in w]
    kw = dict(w.split("=", 1) for w in words[1:] if "=" in w)
    try:
        return "ok " + str(fn(*args, **kw))
    except Exception as e:  # report, keep running
        log("command failed:", line, repr(e))
        return f"err {type(e).__name__}: {e}"


def main():
    set_comm(os.path.basename(ARGV0))
    stdin_fd = sys.stdin.fileno()
    os.set_blocking(stdin_fd, False)
    sel.register(stdin_fd, selectors.EVENT_READ, None)
    buf = b""
    while True:
        for key, _mask in sel.select(1.0):
            if key.data is not None:
                key.data(key.fileobj)
                continue
            try:
                chunk = os.read(stdin_fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:           # controller went away
                sys.exit(0)
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                reply = run_command(line.decode().strip())
                sys.stdout.write(reply + "\n")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
