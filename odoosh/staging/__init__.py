"""Staging from production: snapshot, quarantine (neutralize, scrub, verify), promote.

The raw snapshot exists only in the production artifact store and the throwaway quarantine
cluster; staging is built only from what passed every gate.
"""
