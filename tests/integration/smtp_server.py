#!/usr/bin/python3
"""The SMTP relay that tests/integration/smtp.sh sends to: Debian's python3-aiosmtpd on loopback.

Listens on 127.0.0.1 on a free port and writes the port number to --port-file once it is ready.
Every message accepted is written to --dir as N.eml (the bytes received after DATA, without
the dot-stuffing) and N.json (envelope sender and recipients, whether the session was under TLS,
the login used). With --cert/--key it offers STARTTLS and refuses every command but EHLO, NOOP,
QUIT and STARTTLS before it (require_starttls); with --implicit-tls it speaks TLS from the first
byte instead. With --user/--password it requires AUTH (only after TLS, when there is TLS) and
refuses other credentials with 535; --no-plain offers AUTH LOGIN only. --refuse ADDRESS (may be
repeated) answers 550 to RCPT TO that address. Stops on SIGTERM.

    /usr/bin/python3 smtp_server.py --port-file P --dir D [--cert C --key K] [--user U
        --password W] [--refuse ADDR]... [--no-plain] [--implicit-tls]
"""
import argparse
import asyncio
import json
import os
import signal
import ssl

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    def __init__(self, directory, refuse):
        self.directory = directory
        self.refuse = {a.lower() for a in refuse}
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, "%03d" % self.count)
        ssl_object = server.transport.get_extra_info("ssl_object")
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": ssl_object is not None,
            "login": session.login_data.decode() if session.login_data else None,
        }
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".json.tmp", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".json.tmp", base + ".json")
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 2.0.0 OK queued as %d" % self.count


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--refuse", action="append", default=[])
    p.add_argument("--no-plain", action="store_true")
    p.add_argument("--implicit-tls", action="store_true")
    a = p.parse_args()

    context = None
    if a.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(a.cert, a.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and a.user is not None
              and auth_data.login == a.user.encode() and auth_data.password == a.password.encode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    recorder = Recorder(a.dir, a.refuse)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def factory():
        kw = dict(hostname="relay.test", loop=loop, enable_SMTPUTF8=True)
        if a.user:
            kw.update(authenticator=authenticator, auth_required=True,
                      auth_require_tls=bool(context) and not a.implicit_tls)
            if a.no_plain:
                kw["auth_exclude_mechanism"] = ["PLAIN"]
        if context and not a.implicit_tls:
            kw.update(tls_context=context, require_starttls=True)
        return SMTP(recorder, **kw)

    server = loop.run_until_complete(loop.create_server(
        factory, "127.0.0.1", 0, ssl=context if a.implicit_tls else None))
    port = server.sockets[0].getsockname()[1]
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(a.port_file + ".tmp", a.port_file)
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.run_forever()
    server.close()


if __name__ == "__main__":
    main()
