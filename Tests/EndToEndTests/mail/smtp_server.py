"""A real SMTP server on 127.0.0.1 for the mail tests (aiosmtpd).

Usage: smtp_server.py FOLDER
Listens on a free port and prints "READY PORT"; writes each message it receives to FOLDER as
NNNN.eml (the bytes as received) with NNNN.json beside it (envelope sender and recipients).
While FOLDER/fail exists it answers every message with 451 (a temporary failure).
Stops when its standard input closes (the test ended, or died).
"""
import json
import os
import socket
import sys
import threading

from aiosmtpd.controller import Controller


class Keeper:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if os.path.exists(os.path.join(self.folder, "fail")):
            return "451 4.3.0 try again later (the test asked for a failure)"
        with self.lock:
            self.count += 1
            name = os.path.join(self.folder, "%04d" % self.count)
        with open(name + ".json.tmp", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos}, f)
        with open(name + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(name + ".json.tmp", name + ".json")
        os.rename(name + ".eml.tmp", name + ".eml")
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    folder = sys.argv[1]
    port = free_port()
    controller = Controller(Keeper(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print("READY %d" % port, flush=True)
    sys.stdin.read()
    controller.stop()


main()
