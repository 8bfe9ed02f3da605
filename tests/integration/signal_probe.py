#!/usr/bin/python3
"""Command for the signal tests: reports every signal it receives.

Usage: signal_probe.py COUNT. Blocks all catchable signals, prints whether
it leads its process group, then prints the number of each signal taken
with sigtimedwait until COUNT signals have arrived or 20 s have passed.
"""
import os
import signal
import sys

catchable = set(signal.valid_signals()) - {signal.SIGKILL, signal.SIGSTOP}
signal.pthread_sigmask(signal.SIG_BLOCK, catchable)
print("leader" if os.getpgid(0) == os.getpid() else "not-leader", flush=True)
for _ in range(int(sys.argv[1])):
    info = signal.sigtimedwait(catchable, 20)
    if info is None:
        print("timed out", flush=True)
        break
    print(int(info.si_signo), flush=True)
