#!/usr/bin/python3
"""Runs a command on a new pseudo-terminal and types input into it.

Usage: pty_driver.py [--type DELAY:TEXT]... -- COMMAND [ARG]...

Each --type waits DELAY seconds, then writes TEXT to the terminal, with
the escapes \\n and \\x03 (Ctrl-C) decoded. The terminal output is copied
to stdout. The exit status is the command's, or 128 + N after signal N.
"""
import os
import pty
import select
import sys
import time


def parse(argv):
    typed = []
    while argv and argv[0] == "--type":
        delay, _, text = argv[1].partition(":")
        typed.append((float(delay), text.encode().decode("unicode_escape")))
        argv = argv[2:]
    if not argv or argv[0] != "--":
        sys.exit("usage: pty_driver.py [--type DELAY:TEXT]... -- COMMAND")
    return typed, argv[1:]


def copy_output(fd, until):
    """Copies terminal output to stdout until the time until, or EOF."""
    while True:
        left = None if until is None else max(0.0, until - time.monotonic())
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return True
        try:
            data = os.read(fd, 4096)
        except OSError:
            return False
        if not data:
            return False
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def main():
    typed, command = parse(sys.argv[1:])
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    open_ = True
    for delay, text in typed:
        if open_:
            open_ = copy_output(fd, time.monotonic() + delay)
        if open_:
            os.write(fd, text.encode())
    if open_:
        copy_output(fd, None)
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status)
             else 128 + os.WTERMSIG(status))


main()
