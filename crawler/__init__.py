"""Capture side of bioarchive: spiders, browser behaviours, recording and commands."""

__version__ = "0.1.0"
SOFTWARE = "bioarchive"
