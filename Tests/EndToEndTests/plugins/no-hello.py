#!/usr/bin/env python3
"""Test plugin `no-hello`: reads the hello and exits 0 without answering."""
import sys

sys.stdin.readline()
sys.exit(0)
