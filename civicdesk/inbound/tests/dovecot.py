"""A real IMAP server for the tests: Debian's dovecot-imapd, started as its own instance with a
temporary configuration (maildir under a temporary directory, one user in a passwd-file, plain
IMAP on 127.0.0.1 and a free port). Root may not run dovecot's login and mail processes, so under
root they run as dovecot's own unprivileged users."""

import getpass
import grp
import imaplib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

BINARY = "/usr/sbin/dovecot"
USER, PASSWORD = "inbox", "imap-test-password"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = civicdesk-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def available():
    return os.path.exists(BINARY)


class Dovecot:
    def __init__(self, port):
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="civicdesk-dovecot-"))
        self.root.chmod(0o755)  # dovecot's own users traverse it when the tests run as root
        if os.geteuid() == 0:
            internal, login = pwd.getpwnam("dovecot"), pwd.getpwnam("dovenull")
            internal_user, internal_group = internal.pw_name, grp.getgrgid(internal.pw_gid).gr_name
            login_user, mail_uid, mail_gid = login.pw_name, internal.pw_uid, internal.pw_gid
        else:
            internal_user, internal_group = getpass.getuser(), grp.getgrgid(os.getegid()).gr_name
            login_user, mail_uid, mail_gid = internal_user, os.geteuid(), os.getegid()
        for sub in ("mail", "home"):
            (self.root / sub).mkdir()
            os.chown(self.root / sub, mail_uid, mail_gid)
        (self.root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        self.config = self.root / "dovecot.conf"
        self.config.write_text(
            CONFIG.format(
                root=self.root,
                port=port,
                internal_user=internal_user,
                internal_group=internal_group,
                login_user=login_user,
                mail_uid=mail_uid,
                mail_gid=mail_gid,
            )
        )

    def start(self):
        # The master forks into the background: no pipes it would keep open, its errors go to a file.
        with open(self.root / "start.log", "ab") as errors:
            subprocess.run(  # noqa: S603 - a fixed binary and a config file we wrote
                [BINARY, "-c", str(self.config)],
                check=True,
                stdin=subprocess.DEVNULL,
                stdout=errors,
                stderr=errors,
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                client = imaplib.IMAP4("127.0.0.1", self.port, timeout=5)
                client.logout()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def stop(self):
        """Stops the master and waits until it has gone (and with it every session it served)."""
        pid_file = self.root / "run" / "master.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text().strip())
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        pid_file.unlink(missing_ok=True)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self):
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else "(no log)"

    def client(self, folder="INBOX"):
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(USER, PASSWORD)
        client.select(folder)
        return client

    def append(self, raw, folder="INBOX"):
        client = self.client(folder)
        try:
            status, _ = client.append(folder, None, None, raw)
            assert status == "OK"
        finally:
            client.logout()

    def contents(self, folder):
        """(flags, bytes) of each message in `folder`, or None when the folder does not exist."""
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(USER, PASSWORD)
        try:
            status, count = client.select(folder, readonly=True)
            if status != "OK":
                return None
            if int(count[0]) == 0:
                return []
            status, data = client.fetch("1:*", "(FLAGS BODY.PEEK[])")
            return [(item[0], item[1]) for item in data if isinstance(item, tuple)]
        finally:
            client.logout()
