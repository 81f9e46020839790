#!/usr/bin/env python3
"""Test plugin `handshake-garbage`: answers the hello with a line that is not JSON."""
import sys

for line in sys.stdin:
    print("not json", flush=True)
