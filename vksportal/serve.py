"""The web process: Django over ASGI on uvicorn, plain HTTP and HTTPS from one event loop.

Why uvicorn: an asyncio server (uvloop, httptools) serves many concurrent clients and holds idle
keep-alive connections and long-lived streaming responses (the Kubernetes watch API) as sockets
in one loop, not a thread each; it speaks TLS itself; it sets TCP_NODELAY, so keep-alive requests
do not stall on delayed ACKs; and it is the most used ASGI server for Django.

`make run` (scripts/run.py) binds the listening sockets itself and hands them down by file
descriptor (--http-fd, --https-fd), so a web process that dies and is restarted never gives up the
port: connections wait in the kernel's backlog meanwhile, and several web processes can share one
socket. Run alone, it binds --port and --https-port.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket

import uvicorn
import uvloop


class Server(uvicorn.Server):
    # One process runs two servers (HTTP and HTTPS); it handles SIGINT/SIGTERM once for both.
    @contextlib.contextmanager
    def capture_signals(self):
        yield


def server(*, certfile: str | None = None, keyfile: str | None = None) -> Server:
    config = uvicorn.Config(
        "vksportal.asgi:application",
        loop="uvloop",
        http="httptools",
        ws="none",
        lifespan="off",  # Django has no startup or shutdown work
        access_log=False,
        server_header=False,
        proxy_headers=False,  # nothing sits in front of it; never trust X-Forwarded-For
        timeout_keep_alive=75,  # longer than browsers' and client-go's idle reuse
        timeout_graceful_shutdown=5,  # then streaming responses are cut; clients re-watch
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        log_level=os.environ.get("VKS_SERVER_LOG_LEVEL", "warning"),
    )
    return Server(config)


def listener(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:`port` (TIME_WAIT of an earlier server is no obstacle)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    return sock


def _socket(fd: int | None, port: int | None) -> socket.socket:
    """The inherited listening socket, else one bound here."""
    return socket.socket(fileno=fd) if fd is not None else listener(port)


async def serve(plan: list[tuple[Server, socket.socket]]) -> None:
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for srv, _ in plan:
            srv.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    await asyncio.gather(*(srv.serve(sockets=[sock]) for srv, sock in plan))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--http-fd", type=int, help="an inherited listening socket for HTTP")
    parser.add_argument("--https-fd", type=int, help="an inherited listening socket for HTTPS")
    parser.add_argument("--port", type=int, help="bind HTTP on 127.0.0.1:PORT")
    parser.add_argument("--https-port", type=int, help="bind HTTPS on 127.0.0.1:PORT")
    parser.add_argument("--certfile", help="server certificate chain (PEM), for HTTPS")
    parser.add_argument("--keyfile", help="server key (PEM), for HTTPS")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    plan: list[tuple[Server, socket.socket]] = []
    if args.http_fd is not None or args.port:
        plan.append((server(), _socket(args.http_fd, args.port)))
    if args.https_fd is not None or args.https_port:
        if not (args.certfile and args.keyfile):
            parser.error("HTTPS needs --certfile and --keyfile")
        secure = server(certfile=args.certfile, keyfile=args.keyfile)
        plan.append((secure, _socket(args.https_fd, args.https_port)))
    if not plan:
        parser.error("nothing to serve: give --http-fd/--port and/or --https-fd/--https-port")
    uvloop.run(serve(plan))


if __name__ == "__main__":
    main()
