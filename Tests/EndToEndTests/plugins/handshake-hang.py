#!/usr/bin/env python3
"""Test plugin `handshake-hang`: reads the hello and never answers. Each start appends the plugin's
file name to `starts.txt` in its working directory (the plugins folder)."""
import os
import sys
import time

with open("starts.txt", "a") as f:
    f.write(os.path.basename(sys.argv[0]) + "\n")
sys.stdin.readline()
while True:
    time.sleep(3600)
